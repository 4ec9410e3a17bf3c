"""Expenses: expense categories, expenses and recurring expenses."""

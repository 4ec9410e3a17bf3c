"""Subscriptions: what the client portal will sell (products, recurring products, trial, seats, steps)."""

"""Peers: the benchmark scenarios written with other stacks, each run from its own virtualenv."""

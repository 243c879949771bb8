"""Aggregates, one per module."""

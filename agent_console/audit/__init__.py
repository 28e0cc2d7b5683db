"""Audit log: who did or saw what, when, from where, and whether it was allowed."""

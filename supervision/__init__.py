"""督办 (issue 12.6): deadline marks (yellow/red), reminders, 督办单 and their notifications.

One engine sweeps at a time (PostgreSQL advisory lock); the sweep is incremental: it follows
tickets changed since its cursor and looks only at watch rows whose next check time has come.
"""

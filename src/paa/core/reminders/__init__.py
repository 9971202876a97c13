"""Reminders: the instants that are due, custom reminders and the notification outbox."""

"""Habits: their definitions, schedules, logs, day status and where each stands."""

"""The terminal UI: a Textual app with a live dashboard, chat, habits, check-in and analytics screens."""

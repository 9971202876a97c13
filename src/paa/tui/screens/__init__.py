"""The TUI's screens; each one loads its data in a worker and renders it when the worker's message arrives."""

"""The reminder daemon: APScheduler jobs derived from the database, notification channels, service install.

An interface like the CLI: it calls core and never imports the other interfaces. Run it with
`python -m paa.daemon run` (which is what `paa daemon run`, start and the service units do).
"""

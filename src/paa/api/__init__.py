"""paa's HTTP interface: REST `/api/v1` and WebSocket events on FastAPI, over the same core as the CLI.

Nothing here holds a rule of its own: routes parse the request, open a context through the runtime for the
caller, call core, and shape the answer as docs/json.md documents it. Only `paa serve` imports this package.
"""

"""The ``onestory`` command line: init, serve, worker, demo, import, users, AI tools. An entry
point: it may use anything, through ``bootstrap`` for a running application."""

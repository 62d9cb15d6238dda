"""The ``hegui`` command line: one module per command group; it knows no byte layout."""

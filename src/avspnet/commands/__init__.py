"""Sub-commands of the `avspnet` CLI, one module each (discovered by cli.py)."""

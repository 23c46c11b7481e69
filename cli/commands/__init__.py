"""One module per `retail` subcommand (see `cli/main.py` for the protocol)."""

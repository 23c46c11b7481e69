"""One module per `retail` subcommand (see `retail/cli.py` for the protocol)."""

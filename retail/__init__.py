"""Retail ELT platform: the plain, tested logic behind the CLI and the Dagster assets."""

"""Software-defined assets, one module per pipeline step."""

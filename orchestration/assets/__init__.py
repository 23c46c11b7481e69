"""Software-defined assets, one module per pipeline step.

These modules do not use `from __future__ import annotations`: Dagster reads the Config and
resource annotations of asset functions at decoration time and needs real types, not strings.
"""

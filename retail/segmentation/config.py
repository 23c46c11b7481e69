"""Tier thresholds: read from `dbt_project.yml` vars so Spark and the dbt check use the same ones.

The dbt singular test that recomputes the tiers in DuckDB reads the same two vars; keeping a
single source for them is what lets that check be exact rather than "roughly the same".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from retail.errors import UsageError
from retail.settings import DBT_PROJECT_DIR

HIGH_VAR = "segmentation_high_percentile"
MEDIUM_VAR = "segmentation_medium_percentile"


@dataclass(frozen=True)
class TierThresholds:
    """A customer is High when percentile_rank >= high, Medium when >= medium, else Low."""

    high: float = 0.80
    medium: float = 0.50

    def __post_init__(self) -> None:
        if not 0.0 <= self.medium <= self.high <= 1.0:
            raise UsageError(
                f"tier thresholds must satisfy 0 <= medium <= high <= 1, got "
                f"medium={self.medium}, high={self.high}"
            )

    @classmethod
    def from_dbt_project(cls, project_dir: Path = DBT_PROJECT_DIR) -> TierThresholds:
        """The thresholds configured under `vars:` in dbt_project.yml (defaults when absent)."""
        import yaml

        project = yaml.safe_load((project_dir / "dbt_project.yml").read_text()) or {}
        variables = project.get("vars") or {}
        return cls(
            high=float(variables.get(HIGH_VAR, cls.high)),
            medium=float(variables.get(MEDIUM_VAR, cls.medium)),
        )

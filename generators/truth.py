"""Truth figures, summed from the clean model while chunks are generated (never from files).

Definitions (docs/architecture.md, "The raw extract"; the warehouse must reproduce each
exactly, through retail/truth.py):
- `order_lines`: sales lines (one per order number and product number) = rows of gold.fct_sales.
- `orders`: distinct order numbers.
- `customers`: distinct valid cst_id in the CRM (with or without orders) = rows of
  gold.dim_customers. Junk rows and older partial rows add none.
- `current_products`: product numbers (each has exactly one current version) = rows of
  gold.dim_products where is_current.
- `revenue`: sum over lines of quantity x clean unit price (whole units, exact); the sales
  repair rules turn every defective amount back into this value.
- `units`: sum of quantities.
- `online_orders`: orders with a `purchase` web event (channel 'Online').
- `failed_payments`: distinct valid `payment_attempt` events with payment_status 'failed'
  (duplicated copies, malformed lines and unknown types excluded).
- `returned_units`: sum of RET_QTY in RET_ORD_Q1. A return is written in the batch whose days
  contain its date, so a follow-on also returns units of its parents' orders.
In a follow-on manifest `truth` is cumulative over the batch and all its ancestors (what the
warehouse holds after loading them all) and `batch_truth` covers the batch alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from generators.sales import SalesChunk
from generators.web import PAYMENT, Events


@dataclass
class Truth:
    order_lines: int = 0
    orders: int = 0
    customers: int = 0
    current_products: int = 0
    revenue: int = 0
    units: int = 0
    online_orders: int = 0
    failed_payments: int = 0
    returned_units: int = 0

    def add_chunk(self, chunk: SalesChunk, events: Events) -> None:
        self.order_lines += len(chunk.l_order)
        self.orders += len(chunk.o_seq)
        self.revenue += int(chunk.l_sales.sum())
        self.units += int(chunk.l_quantity.sum())
        self.online_orders += int(chunk.o_online.sum())
        self.failed_payments += int(((events.etype == PAYMENT) & (events.status == 0)).sum())
        self.returned_units += int(chunk.r_quantity.sum())

    def add(self, other: Truth) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def plus(self, earlier: dict) -> Truth:
        """Cumulative figures: sums add up; customers and products are already totals."""
        total = Truth(**{k: v for k, v in asdict(self).items()})
        for name in ("order_lines", "orders", "revenue", "units", "online_orders",
                     "failed_payments", "returned_units"):
            setattr(total, name, getattr(total, name) + int(earlier[name]))
        return total

    def to_dict(self) -> dict[str, int]:
        return {k: int(v) for k, v in asdict(self).items()}


def check_model(chunk: SalesChunk) -> None:
    """Invariants of the clean model that the truth relies on."""
    assert np.all(chunk.l_quantity >= 1) and np.all(chunk.l_price >= 1)
    assert np.all(chunk.r_quantity <= chunk.l_quantity[chunk.r_line])

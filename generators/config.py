"""Fixed figures of the generated business: calendar, volumes at scale 1, countries, rates.

Everything a user may want to tune lives here as a frozen dataclass with documented defaults,
so a rate is changed in one place and recorded in the manifest (`manifest["config"]`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

GENERATOR_VERSION = "1.1.0"  # bump whenever the bytes for a (seed, scale) change

# The first extract covers three fixed calendar years (never today's date: determinism).
FIRST_DAY = date(2023, 1, 1)
LAST_DAY = date(2025, 12, 31)

# Volumes at scale 1 (the public AdventureWorks-derived extract has about these sizes).
CUSTOMERS_AT_SCALE_1 = 18_500
ORDERS_AT_SCALE_1 = 27_700
FIRST_CUSTOMER_ID = 11_000
FIRST_ORDER_SEQ = 43_697
FIRST_PRODUCT_ID = 210

# Rows per written chunk: bounds memory whatever the scale.
ORDERS_PER_CHUNK = 50_000
CUSTOMERS_PER_CHUNK = 1_000_000

# Country, Faker locale, share of customers. Order matters (determinism).
COUNTRIES: tuple[tuple[str, str, float], ...] = (
    ("United States", "en_US", 0.32),
    ("Australia", "en_AU", 0.20),
    ("United Kingdom", "en_GB", 0.13),
    ("Germany", "de_DE", 0.12),
    ("France", "fr_FR", 0.12),
    ("Canada", "en_CA", 0.11),
)


@dataclass(frozen=True)
class DefectRates:
    """Share of rows that get each injected defect. None of them changes the truth figures.

    The manifest counts each kind under `crm_<name>` (CRM files), `erp_<name>` (ERP files)
    or `<name>` (web, already prefixed), plus `erp_loc_dash` (every LOC_A101 row).
    CRM customers: `name_spaces` (a name gets leading/trailing spaces; counted per name),
    `partial_duplicate` (an older, partial row for the same cst_id with an earlier create
    date), `junk_row` (extra rows with a blank cst_id and a meaningless key, per customer),
    `blank_gender`, `blank_marital`. CRM products: `prd_line_space` (trailing space),
    `prd_line_blank`, `prd_blank_cost`, `prd_end_before_start` (of versions that have an end).
    CRM sales (at most one amount defect per line, always repairable): `sales_blank`,
    `sales_zero`, `sales_negative`, `sales_mismatch`, `price_blank`, `price_zero`,
    `price_negative`; dates (at most one per line): `order_date_zero`, `order_date_bad`
    (not eight digits), `ship_date_bad`, `ship_before_order`, `due_before_order`.
    ERP: `nas_prefix`, `country_code` (US/USA/DE instead of the full name), `country_blank`,
    `future_birthdate`, `gender_variant` (M/F/blank/space-padded instead of Male/Female).
    Web (extra lines or line swaps, per event): `web_duplicate`, `web_malformed`,
    `web_unknown_type`, `web_out_of_order`.
    """

    name_spaces: float = 0.03
    partial_duplicate: float = 0.01
    junk_row: float = 0.001
    blank_gender: float = 0.02
    blank_marital: float = 0.01
    prd_line_space: float = 0.5
    prd_line_blank: float = 0.05
    prd_blank_cost: float = 0.01
    prd_end_before_start: float = 0.5
    sales_blank: float = 0.002
    sales_zero: float = 0.001
    sales_negative: float = 0.001
    sales_mismatch: float = 0.002
    price_blank: float = 0.002
    price_zero: float = 0.001
    price_negative: float = 0.001
    order_date_zero: float = 0.0005
    order_date_bad: float = 0.0005
    ship_date_bad: float = 0.0005
    ship_before_order: float = 0.0005
    due_before_order: float = 0.0005
    nas_prefix: float = 0.5
    country_code: float = 0.1
    country_blank: float = 0.01
    future_birthdate: float = 0.001
    gender_variant: float = 0.1
    web_duplicate: float = 0.005
    web_malformed: float = 0.001
    web_unknown_type: float = 0.002
    web_out_of_order: float = 0.002


@dataclass(frozen=True)
class BusinessRates:
    """Behaviour of customers and shoppers (not defects)."""

    online_share: float = 0.4  # share of orders placed online (they get a purchase session)
    payment_failure_rate: float = 0.18  # chance that one payment attempt fails
    browse_sessions_per_online_order: float = 1.0  # sessions that end without a purchase
    anonymous_share: float = 0.5  # browse sessions without a logged-in customer
    return_rate: float = 0.03  # share of order lines with a return
    return_window_days: int = 45


@dataclass(frozen=True)
class GeneratorConfig:
    defects: DefectRates = field(default_factory=DefectRates)
    business: BusinessRates = field(default_factory=BusinessRates)

    def to_dict(self) -> dict:
        return {"defects": asdict(self.defects), "business": asdict(self.business)}

    @classmethod
    def from_dict(cls, data: dict) -> GeneratorConfig:
        return cls(DefectRates(**data["defects"]), BusinessRates(**data["business"]))

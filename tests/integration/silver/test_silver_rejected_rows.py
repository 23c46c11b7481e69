"""rejected_rows: readable reasons, the raw record of every reject, counts of injected defects."""

from __future__ import annotations

import json
from collections import Counter

from silver_fixtures import Query

METADATA_COLUMNS = {"_batch_id", "_batch_seq", "_source_file", "_source_row", "_ingested_at"}


def test_reasons_are_readable_sentences(silver_query: Query) -> None:
    reasons = [reason for (reason,) in silver_query(
        "select distinct reason from silver.rejected_rows")]
    assert reasons, "the tiny extract has injected defects, so something must be rejected"
    for reason in reasons:
        words = reason.split()
        assert len(words) >= 3, reason
        assert reason == reason.strip() and reason[0].isalpha(), reason


def test_every_reject_carries_its_bronze_record(silver_query: Query) -> None:
    """raw_record is JSON holding exactly the bronze row's source columns and values."""
    tables = [table for (table,) in silver_query(
        "select distinct source_table from silver.rejected_rows")]
    checked = 0
    for table in tables:
        columns = [name for (name,) in silver_query(
            "select column_name from information_schema.columns "
            f"where table_schema = 'bronze' and table_name = '{table}' order by ordinal_position"
        ) if name not in METADATA_COLUMNS]
        rows = silver_query(f"""
            select rejected.raw_record, {', '.join(f'bronze."{c}"' for c in columns)}
            from silver.rejected_rows as rejected
            inner join bronze.{table} as bronze
                on bronze._batch_id = rejected.batch_id
                and bronze._source_row = rejected.source_row
            where rejected.source_table = '{table}'
        """)
        (rejected_count,) = silver_query(
            f"select count(*) from silver.rejected_rows where source_table = '{table}'")[0]
        assert len(rows) == rejected_count, f"{table}: a reject points at no bronze row"
        for raw_record, *values in rows:
            assert json.loads(raw_record) == dict(zip(columns, values, strict=True))
            checked += 1
    assert checked > 0


def _rejects(silver_query: Query, table: str, reason_start: str) -> int:
    return silver_query(
        f"select count(*) from silver.rejected_rows where source_table = '{table}' "
        f"and reason like '{reason_start}%'"
    )[0][0]


def test_rejects_match_the_injected_defects(silver_query: Query, built_warehouse) -> None:
    defects = Counter(built_warehouse.extract.manifest["defects"])
    assert _rejects(silver_query, "crm_cust_info", "junk customer") == defects["crm_junk_row"]
    assert _rejects(silver_query, "crm_cust_info", "superseded customer") == (
        defects["crm_partial_duplicate"])
    assert _rejects(silver_query, "web_events", "malformed JSON") == defects["web_malformed"]
    assert _rejects(silver_query, "web_events", "duplicate event") == defects["web_duplicate"]
    assert _rejects(silver_query, "web_events", "unknown event type") == (
        defects["web_unknown_type"])
    expected_total = sum(defects[name] for name in (
        "crm_junk_row", "crm_partial_duplicate", "web_malformed", "web_duplicate",
        "web_unknown_type"))
    assert silver_query("select count(*) from silver.rejected_rows")[0][0] == expected_total

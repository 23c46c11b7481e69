"""The landing-folder sensor, evaluated against a real (ephemeral) Dagster instance."""

import json
from pathlib import Path

import dagster as dg


def _extract(landing: Path, name: str, marker: str | None) -> Path:
    folder = landing / name / "source_crm"
    folder.mkdir(parents=True)
    (folder / "cust_info.csv").write_text("cst_id,cst_key\n1,AW00000001\n")
    if marker:
        (folder.parent / marker).write_text(json.dumps({"seed": 1}) if marker.endswith("json")
                                            else "")
    return folder.parent


def _evaluate(settings, instance: dg.DagsterInstance, cursor: str | None):
    from orchestration.resources import RetailResource
    from orchestration.sensors import landing_folder_sensor

    context = dg.build_sensor_context(
        instance=instance, cursor=cursor,
        resources={"retail": RetailResource.from_settings(settings)},
    )
    result = landing_folder_sensor.evaluate_tick(context)
    return result, context.cursor


def test_complete_folders_run_once_and_incomplete_ones_wait(settings) -> None:
    from orchestration.assets.raw import RAW_OP

    generated = _extract(settings.raw_dir, "batch-0001", "manifest.json")
    _extract(settings.raw_dir, "batch-0002", None)  # still being copied
    exported = _extract(settings.raw_dir, "erp-2025-01", "_SUCCESS")

    with dg.DagsterInstance.ephemeral() as instance:
        result, cursor = _evaluate(settings, instance, None)
        paths = [r.run_config["ops"][RAW_OP]["config"]["path"] for r in result.run_requests]
        assert paths == [str(generated), str(exported)]
        assert len({r.run_key for r in result.run_requests}) == 2

        again, cursor = _evaluate(settings, instance, cursor)
        assert again.run_requests == []
        assert "no new complete extract" in again.skip_message

        (settings.raw_dir / "batch-0002" / "manifest.json").write_text("{}")
        later, _ = _evaluate(settings, instance, cursor)
        assert [r.tags["retail/extract"] for r in later.run_requests] == ["batch-0002"]


def test_an_absent_landing_folder_is_skipped(settings) -> None:
    with dg.DagsterInstance.ephemeral() as instance:
        result, _ = _evaluate(settings, instance, None)
    assert result.run_requests == [] and result.skip_message

"""Table rows hold each value in the column of its name: checked against the records themselves, so
that two columns of one type swapped (title and publisher, valid_from and valid_to) fail here."""

from __future__ import annotations

import datetime as dt
import json
from enum import Enum
from typing import Any

import pytest

from sanctions.files import default_data_dir
from sanctions.flat_tables import TABLES, build_rows
from sanctions.validate import load_valid

from conftest import GOOD

#: Columns whose model field has another name.
RENAMED = {"target_id": "measure", "instrument_id": "instrument", "amends_id": None}


def plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    return value


def owner(ds, table: str, row: dict[str, Any]) -> Any:
    """The model object a row was made from (None where a row is not one object's fields)."""
    m = ds.measures.get(row.get("measure_id") or "")
    by_position = {"targets": "targets", "goods": "goods", "events": "events", "links": "links",
                   "thresholds": "thresholds"}
    if table == "measures":
        return ds.measures[row["id"]]
    if table == "sources":
        return ds.sources[row["id"]]
    if table == "instruments":
        return ds.instruments[row["id"]]
    if table == "authorities":
        return ds.authorities[row["code"]]
    if table == "sectors":
        return ds.sectors[row["code"]]
    if table in by_position:
        return getattr(m, by_position[table])[row["position"]]
    if table == "target_entities":
        return m.targets[row["target_position"]].entities[row["position"]]
    return None


@pytest.mark.parametrize("root", [GOOD, default_data_dir()], ids=["fixture", "shipped"])
def test_every_column_holds_the_field_of_its_name(root):
    ds = load_valid(root)
    rows = build_rows(ds)
    citations = {r[0]: dict(zip(TABLES[[t.name for t in TABLES].index("citations")].column_names, r))
                 for r in rows["citations"]}
    compared = 0
    for table in TABLES:
        for values in rows[table.name]:
            row = dict(zip(table.column_names, values, strict=True))
            obj = owner(ds, table.name, row)
            if obj is None:
                continue
            for column, value in row.items():
                field = RENAMED.get(column, column)
                if column == "record":
                    assert json.loads(value) == json.loads(obj.model_dump_json(exclude_none=True))
                elif column == "citation_id":
                    if value is not None:
                        assert citations[value]["source_id"] == obj.citation.source
                        assert citations[value]["quote"] == obj.citation.quote
                        assert citations[value]["locator"] == obj.citation.locator
                elif column == "withdrawn":
                    assert value == (obj.withdrawn.date if obj.withdrawn else None)
                elif field and field in type(obj).model_fields:
                    expected = plain(getattr(obj, field))
                    if column == "amount":
                        expected = float(expected)
                    assert value == expected, f"{table.name}.{column}"
                    compared += 1
    assert compared > 100


def test_status_history_periods_are_in_column_order():
    rows = build_rows(load_valid(GOOD))["status_history"]
    table = next(t for t in TABLES if t.name == "status_history")
    for values in rows:
        row = dict(zip(table.column_names, values, strict=True))
        assert isinstance(row["valid_from"], dt.date)
        assert row["valid_to"] is None or row["valid_from"] < row["valid_to"]
        assert row["status"] in {"requested", "considered", "adopted", "in_force", "announced"}


def test_a_row_with_a_missing_or_unknown_column_is_refused():
    sources = next(t for t in TABLES if t.name == "authorities")
    with pytest.raises(KeyError, match="missing \\['kind'\\], unknown \\['knd'\\]"):
        sources.row(code="XX", name="X", knd="state")

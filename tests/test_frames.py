"""tables(): pandas DataFrames, each checked by a pandera DataFrameModel."""

from __future__ import annotations

import pandas as pd
import pytest

import sanctions
from sanctions.frames import TableError, check, model
from sanctions.flat_tables import TABLES

from conftest import GOOD


@pytest.fixture(scope="module")
def frames():
    return sanctions.tables(GOOD)


def test_every_table_is_returned_and_matches_the_spec(frames):
    assert list(frames) == [t.name for t in TABLES]
    for table in TABLES:
        assert list(frames[table.name].columns) == table.column_names
    assert len(frames["measures"]) == 8 and len(frames["events"]) == 25


def test_each_model_documents_its_columns(frames):
    schema = model(TABLES[0], frames).to_schema()
    assert schema.columns["code"].description.startswith("ISO 3166-1")


def broken(frames, table: str, change) -> dict:
    copy = {name: frame.copy() for name, frame in frames.items()}
    copy[table] = change(copy[table])
    return copy


@pytest.mark.parametrize("table, change, message", [
    ("measures", lambda f: pd.concat([f, f.iloc[:1]], ignore_index=True), "primary key (id) unique"),
    ("events", lambda f: f.assign(kind=f["kind"].where(f.index != 0, "rumoured")), "isin(['requested'"),
    ("events", lambda f: f.assign(measure_id=f["measure_id"].where(f.index != 0, "ghost")),
     "(measure_id) resolves in measures"),
    ("targets", lambda f: f.assign(code=f["code"].where(f.index != 0, "ZZ")), "(code) resolves in authorities"),
    ("status_history", lambda f: f.assign(valid_to=f["valid_from"]), "valid_from before valid_to"),
    ("target_entities", lambda f: f.assign(target_position=7), "resolves in targets"),
    ("measures", lambda f: f.assign(extra=1), "column_in_schema (e.g. 'extra')"),
])
def test_checks_catch_broken_tables(frames, table, change, message):
    with pytest.raises(TableError) as caught:
        check(broken(frames, table, change))
    assert f"table {table}:" in str(caught.value)
    assert message in str(caught.value)


def test_query_returns_a_dataframe_with_the_cli_filters():
    df = sanctions.query(sector=["seafood", "diamonds"], in_force_on="2022-03-11", data=GOOD)
    assert list(df["id"]) == ["us-2022-diamonds-import-ban", "us-2022-seafood-import-ban"]
    assert list(df.columns[:8]) == ["id", "title", "authority", "targets", "type", "category", "sectors", "status"]


def test_query_rejects_unknown_codes_like_the_cli():
    with pytest.raises(sanctions.errors.UsageError, match="did you mean 'seafood'"):
        sanctions.query(sector="seafod", data=GOOD)


def test_load_returns_typed_records():
    dataset = sanctions.load(GOOD)
    measure = dataset.measures["eu-2022-messaging-ban"]
    assert measure.targets[0].entities[1].name == "Bank Two"
    assert dataset.sources["news-report"].kind.value == "news"


def test_connect_is_read_only():
    con = sanctions.connect(GOOD)
    with pytest.raises(Exception, match="read-only"):
        con.execute("DELETE FROM measures")

"""`sanctions export`: every format reads back to what the database holds; the data package is
valid Frictionless; the SQLite file browses in datasette with its facets; folders are never
clobbered and a failed export leaves nothing behind."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
import re
import sqlite3

import duckdb
import pytest

import sanctions
from sanctions import export as export_module
from sanctions.export import DOCUMENTS, ExportFormat, export, relations, select_sql
from sanctions.files import default_data_dir

from conftest import GOOD


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "sanctions-export"
    result = export(default_data_dir(), out)
    return out, result


@pytest.fixture(scope="module")
def catalog(exported):
    """The exported relations, described from the exported DuckDB file."""
    out, _ = exported
    con = duckdb.connect()
    con.execute(f"ATTACH '{out / 'sanctions.duckdb'}' AS dataset (READ_ONLY)")
    rels = relations(con)
    con.close()
    return rels


def normal(value, type_):
    """One value in a comparable form, whatever the format stored it as."""
    if value is None:
        return None
    if type_.endswith("[]"):
        return json.loads(value) if isinstance(value, str) else list(value)
    if type_ == "JSON":
        return json.loads(value) if isinstance(value, str) else value
    if type_ == "DATE":
        return value.isoformat() if isinstance(value, dt.date) else value
    if type_ == "BOOLEAN":
        return value in (True, 1, "true") if not isinstance(value, bool) else value
    if type_ in ("INTEGER", "BIGINT"):
        return int(value)
    if type_ == "DOUBLE":
        return float(value)
    return value


def rows_of(records, rel):
    return [tuple(normal(r[f.name], f.type) for f in rel.columns) for r in records]


def expected(rel):
    """The relation as the cached (independently built) database holds it."""
    con = sanctions.connect()
    cur = con.execute(select_sql(rel))
    names = [d[0] for d in cur.description]
    return rows_of([dict(zip(names, row)) for row in cur.fetchall()], rel)


def read_format(out, fmt, rel):
    if fmt == "parquet":
        cur = duckdb.sql(f"SELECT * FROM read_parquet('{out / 'parquet' / (rel.name + '.parquet')}')")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    if fmt == "csv":
        with open(out / "csv" / f"{rel.name}.csv", newline="", encoding="utf-8") as handle:
            return [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(handle)]
    if fmt == "json":
        return json.loads((out / "json" / f"{rel.name}.json").read_text(encoding="utf-8"))
    if fmt == "ndjson":
        return [json.loads(line) for line in (out / "ndjson" / f"{rel.name}.ndjson").read_text().splitlines()]
    if fmt == "sqlite":
        db = sqlite3.connect(out / "sanctions.sqlite")
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute(f'SELECT * FROM "{rel.name}"')]
        db.close()
        return rows
    con = duckdb.connect(str(out / "sanctions.duckdb"), read_only=True)
    cur = con.execute(f'SELECT * FROM "{rel.name}"')
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, row)) for row in cur.fetchall()]
    con.close()
    return rows


@pytest.mark.parametrize("fmt", [f.value for f in ExportFormat])
def test_every_format_reads_back_to_the_database(exported, catalog, fmt):
    out, _ = exported
    assert len(catalog) == 32
    for rel in catalog:
        want = expected(rel)
        got = rows_of(read_format(out, fmt, rel), rel)
        if fmt in ("sqlite", "duckdb"):
            got, want = sorted(got, key=repr), sorted(want, key=repr)
        assert got == want, f"{fmt}: {rel.name}"
    assert any(expected(rel) for rel in catalog if rel.name == "measures")


def test_measure_documents_are_show_for_every_measure(exported, cli):
    out, result = exported
    docs = json.loads((out / "json" / f"{DOCUMENTS}.json").read_text(encoding="utf-8"))
    lines = [json.loads(x) for x in (out / "ndjson" / f"{DOCUMENTS}.ndjson").read_text().splitlines()]
    assert docs == lines
    ids = [r[0] for r in sanctions.connect().execute("SELECT id FROM measures ORDER BY id").fetchall()]
    assert [d["id"] for d in docs] == ids and result.documents == len(ids)
    shown = json.loads(cli("show", ids[-1], "--format", "json").stdout)
    assert docs[-1] == shown
    assert docs[-1]["events"] if "events" in docs[-1] else docs[-1]["measure"]["events"]


def test_datapackage_is_valid_frictionless_with_keys(exported):
    from frictionless import validate

    out, _ = exported
    report = validate(out / "datapackage.json")
    assert report.valid, report.flatten(["type", "message"])[:5]
    package = json.loads((out / "datapackage.json").read_text())
    assert package["version"] == sanctions.__version__
    assert package["content_hash"].startswith("sha256:") and len(package["content_hash"]) == 71
    events = next(r for r in package["resources"] if r["name"] == "events")
    assert events["path"] == "csv/events.csv"
    assert events["schema"]["primaryKey"] == ["measure_id", "position"]
    assert {"fields": ["measure_id"], "reference": {"resource": "measures", "fields": ["id"]}} \
        in events["schema"]["foreignKeys"]
    fields = {f["name"]: f for f in events["schema"]["fields"]}
    assert fields["date"]["type"] == "date" and fields["date"]["constraints"] == {"required": True}
    overview = next(r for r in package["resources"] if r["name"] == "measure_overview")
    assert {f["name"]: f["type"] for f in overview["schema"]["fields"]}["sectors"] == "array"
    for resource in package["resources"]:  # every table and column is described
        assert resource["description"]
        for f in resource.get("schema", {}).get("fields", []):
            assert f["description"], (resource["name"], f["name"])


def test_a_damaged_export_fails_frictionless(exported, tmp_path):
    """The descriptor carries hashes and keys: a changed cell is caught by other tools."""
    import shutil

    from frictionless import validate

    out, _ = exported
    copy = tmp_path / "copy"
    shutil.copytree(out / "csv", copy / "csv")
    shutil.copy(out / "datapackage.json", copy)
    shutil.copytree(out / "json", copy / "json")
    path = copy / "csv" / "events.csv"
    path.write_text(path.read_text().replace("2022-", "2O22-", 1))
    assert not validate(copy / "datapackage.json").valid


def test_content_hash_follows_the_data_not_the_date(tmp_path, good_copy):
    first = export(good_copy, tmp_path / "a", [ExportFormat.csv], now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    again = export(good_copy, tmp_path / "b", [ExportFormat.csv], now=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    package = lambda r: json.loads((r.folder / "datapackage.json").read_text())  # noqa: E731
    assert package(first)["content_hash"] == package(again)["content_hash"]
    assert package(first)["created"] == "2026-01-01T00:00:00+00:00"
    measure = next((good_copy / "measures").glob("*.yaml"))
    measure.write_text(measure.read_text().replace("title:", "title: Changed", 1) if False else
                       measure.read_text() + "\n# a comment changes the bytes\n")
    changed = export(good_copy, tmp_path / "c", [ExportFormat.csv])
    assert package(changed)["content_hash"] != package(first)["content_hash"]


def test_parquet_reads_in_polars(exported):
    import polars as pl

    out, _ = exported
    frame = pl.read_parquet(out / "parquet" / "measure_overview.parquet")
    assert frame.height == sanctions.connect().execute("SELECT count(*) FROM measure_overview").fetchall()[0][0]
    assert frame.schema["sectors"] == pl.List(pl.String)
    assert frame.schema["in_force"] == pl.Date


def test_duckdb_file_keeps_comments_and_opens_read_only(exported):
    out, _ = exported
    con = duckdb.connect(str(out / "sanctions.duckdb"), read_only=True)
    comment = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'measures'").fetchall()
    assert comment == [("One row per measure: one effect by one authority.",)]
    assert con.execute("SELECT count(*) FROM in_force_on(DATE '2022-06-01')").fetchall()[0][0] > 0
    con.close()


def test_datasette_shows_tables_and_facets(exported):
    from datasette.app import Datasette

    out, _ = exported
    metadata = json.loads((out / "metadata.json").read_text())
    assert metadata["databases"]["sanctions"]["tables"]["measure_overview"]["facets"][:3] == \
        ["authority", "type", "status"]
    con = sanctions.connect()
    us = [r[0] for r in con.execute("SELECT id FROM measure_overview WHERE authority = 'US' ORDER BY id").fetchall()]
    by_authority = dict(con.execute("SELECT authority, count(*) FROM measure_overview GROUP BY 1").fetchall())
    seafood = con.execute("SELECT count(*) FROM measure_overview WHERE list_contains(sectors, 'seafood')"
                          ).fetchall()[0][0]

    async def browse():
        ds = Datasette([str(out / "sanctions.sqlite")], metadata=metadata)
        page = await ds.client.get("/sanctions/measure_overview?authority=US&_size=max&_nosuggest=1")
        assert page.status_code == 200
        for measure_id in us:
            assert f">{measure_id}<" in page.text
        results = (await ds.client.get("/sanctions/measure_overview.json?_nosuggest=1")).json()["facet_results"]
        assert {"authority", "type", "status", "sectors", "targets"} <= set(results)
        assert {f["value"]: f["count"] for f in results["authority"]["results"]} == by_authority
        sectors = {f["value"]: f["count"] for f in results["sectors"]["results"]}
        assert sectors["seafood"] == seafood
        table = await ds.client.get("/sanctions/measures")
        assert table.status_code == 200 and "One row per measure" in table.text

    asyncio.run(browse())


def test_connect_allows_sql_execute_df_and_pl_at_once():
    con = sanctions.connect()
    assert con.sql("SELECT 1 AS one").fetchall() == [(1,)]
    count = con.execute("SELECT count(*) FROM measures").fetchall()[0][0]
    assert len(con.sql("SELECT id FROM measures").df()) == count
    assert con.sql("SELECT id FROM measures").pl().height == count
    assert len(con.execute("SELECT id FROM measures").df()) == count
    assert con.sql("SELECT count(*) FROM measures").fetchall() == [(count,)]


# --- the command ----------------------------------------------------------------------------------


def test_cli_export_formats_and_message(cli, tmp_path):
    out = tmp_path / "out"
    result = cli("export", "--data", GOOD, "--out", out, "--format", "csv,PARQUET", "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == f"exported 32 tables and 8 measure documents (parquet, csv, json) to {out}\n"
    assert result.stdout == ""
    assert sorted(p.name for p in out.iterdir()) == ["csv", "datapackage.json", "json", "parquet"]
    assert len(list((out / "parquet").iterdir())) == 32


def test_cli_export_refuses_a_non_empty_folder(cli, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    for args in ((), ("--force",)):
        result = cli("export", "--data", GOOD, "--out", out, *args)
        assert result.exit_code == 2
        assert "mine" in result.stderr and len(result.stderr.splitlines()) == 1
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "keep me"
    bad = cli("export", "--data", GOOD, "--out", tmp_path / "x", "--format", "cvs")
    assert bad.exit_code == 2 and bad.stderr == \
        "error: --format: unknown format 'cvs' (hint: did you mean 'csv'?)\n"


def test_cli_force_replaces_an_earlier_export(cli, tmp_path):
    out = tmp_path / "out"
    assert cli("export", "--data", GOOD, "--out", out, "--format", "sqlite").exit_code == 0
    assert cli("export", "--data", GOOD, "--out", out, "--format", "csv").exit_code == 2
    assert cli("export", "--data", GOOD, "--out", out, "--format", "csv", "--force").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["csv", "datapackage.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # nothing left beside it


def test_a_failed_export_leaves_the_old_one_and_no_debris(tmp_path, monkeypatch):
    out = tmp_path / "out"
    export(GOOD, out, [ExportFormat.csv])
    before = sorted(p.relative_to(out) for p in out.rglob("*"))

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(export_module, "_sqlite", broken)
    with pytest.raises(OSError):
        export(GOOD, out, [ExportFormat.csv, ExportFormat.sqlite], force=True)
    with pytest.raises(OSError):
        export(GOOD, tmp_path / "new", [ExportFormat.sqlite])
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_progress_is_reported(tmp_path):
    seen = []
    export(GOOD, tmp_path / "out", [ExportFormat.parquet, ExportFormat.sqlite], progress=seen.append)
    assert seen == ["reading the dataset", "building the database", "writing parquet/ (32 tables)",
                    "writing sanctions.sqlite"]


def readme_snippets() -> list[tuple[str, str]]:
    """The fenced blocks of the README's "Use the data in other tools" section: (language, code)."""
    from conftest import REPO

    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("<!-- use:start -->", 1)[1].split("<!-- use:end -->", 1)[0]
    return re.findall(r"^```(\w+)\n(.*?)^```$", section, re.M | re.S)


def test_readme_snippets_run_on_an_export(exported, tmp_path, monkeypatch, capsys):
    """Every Python and SQL example of the README runs on a real export (R is shown, not run)."""
    import shutil

    out, _ = exported
    snippets = readme_snippets()
    languages = [lang for lang, _ in snippets]
    assert languages.count("python") == 3 and languages.count("sql") == 1 and "r" in languages
    assert snippets[0] == ("sh", "sanctions export --out sanctions-data\n")
    shutil.copytree(out, tmp_path / "sanctions-data")
    monkeypatch.chdir(tmp_path)
    for lang, code in snippets:
        if lang == "python":
            exec(compile(code, "README.md", "exec"), {})
            assert capsys.readouterr().out.strip()
        elif lang == "sql":
            rows = duckdb.sql(code).fetchall()
            authorities = {r[0] for r in rows}
            want = set(sanctions.query(sector="seafood").query("in_force == in_force")["authority"])
            assert authorities == want

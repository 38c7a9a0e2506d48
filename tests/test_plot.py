"""`sanctions plot`: the timeline picture of the selected measures (the extra `sanctions[plot]`).

The committed picture docs/timeline.svg (shown in the README) is regenerated with:

    sanctions plot --out docs/timeline.svg --force
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sanctions import connect, vocab
from sanctions.plot import MARKS, Row, draw, picture, rows
from sanctions.queries import select

from conftest import GOOD, REPO

#: Drawing needs the extra; the tests of what happens without it, and of the committed picture, do not.
drawing = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                             reason="needs matplotlib: pip install 'sanctions[plot]'")

SVG = "{http://www.w3.org/2000/svg}"
PICTURE = REPO / "docs" / "timeline.svg"
REGENERATE = "sanctions plot --out docs/timeline.svg --force"
MISSING = "error: sanctions plot needs matplotlib (hint: pip install 'sanctions[plot]')\n"


def texts(svg: Path | bytes) -> list[str]:
    """Every text element of a well-formed SVG (a parse error fails the test)."""
    root = ET.fromstring(svg) if isinstance(svg, bytes) else ET.parse(svg).getroot()
    assert root.tag == f"{SVG}svg"
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def y_labels(svg: Path) -> list[str]:
    """The y tick labels, top to bottom: one per measure drawn."""
    root = ET.parse(svg).getroot()
    return ["".join(t.itertext()) for g in root.iter(f"{SVG}g") if g.get("id", "").startswith("ytick_")
            for t in g.iter(f"{SVG}text")]


def ids(cli, *filters: str) -> list[str]:
    result = cli("query", *filters, "--format", "json")
    assert result.exit_code == 0, result.output
    return [row["id"] for row in json.loads(result.stdout)]


@drawing
def test_the_svg_labels_every_selected_measure_and_no_other(cli, tmp_path):
    out = tmp_path / "seafood.svg"
    result = cli("plot", "--sector", "seafood", "--out", out)
    assert result.exit_code == 0, result.output
    selected = ids(cli, "--sector", "seafood")
    assert result.stderr == f"wrote {out} ({len(selected)} measures)\n"
    assert result.stdout == ""
    every = set(ids(cli))
    assert set(selected) < every
    shown = texts(out)
    assert sorted(t for t in shown if t in every) == sorted(selected)  # each once, no other measure
    assert sorted(y_labels(out)) == sorted(selected)


@drawing
@pytest.mark.parametrize("filters", [("--hs", "0302"), ("--authority", "EU", "--from", "2023-01-01"),
                                     ("--in-force-on", "2022-06-01", "--type", "import_ban")])
def test_other_filters_select_as_query_does(cli, tmp_path, filters):
    out = tmp_path / "p.svg"
    result = cli("plot", *filters, "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(y_labels(out)) == sorted(ids(cli, *filters))


@drawing
def test_measures_are_grouped_and_labelled_by_authority(cli, tmp_path):
    out = tmp_path / "seafood.svg"
    assert cli("plot", "--sector", "seafood", "--out", out).exit_code == 0
    result = cli("query", "--sector", "seafood", "--format", "json")
    authority = {row["id"]: row["authority"] for row in json.loads(result.stdout)}
    labels = y_labels(out)
    order = [authority[i] for i in labels]
    groups = list(dict.fromkeys(order))
    assert order == sorted(order, key=groups.index), "an authority's measures are not together"
    shown = texts(out)
    for code in groups:
        count = order.count(code)
        assert any(t.endswith(f"({code}): {count} measure{'s' * (count != 1)}") for t in shown), code


@drawing
def test_the_legend_names_every_kind_of_event_drawn(cli, tmp_path):
    out = tmp_path / "seafood.svg"
    assert cli("plot", "--sector", "seafood", "--out", out).exit_code == 0
    events = json.loads(cli("timeline", "--sector", "seafood", "--format", "json").stdout)
    kinds = {e["kind"] for e in events}
    shown = set(texts(out))
    assert {MARKS[k][0] for k in kinds} <= shown
    assert not {MARKS[k][0] for k in set(MARKS) - kinds} & shown  # no legend for what is not drawn


def test_every_event_kind_has_its_own_mark():
    assert list(MARKS) == list(vocab.EVENT_KINDS.codes)
    looks = [(marker, colour, filled) for _, marker, colour, filled, _ in MARKS.values()]
    assert len(set(looks)) == len(looks)
    assert len({label for label, *_ in MARKS.values()}) == len(MARKS)


def test_the_rows_hold_every_event_and_the_bars_match_in_force_on():
    con = connect()
    drawn = rows(con, select(con, {"sector": ["seafood", "diamonds"]}))
    events = con.execute(
        "SELECT DISTINCT measure_id, date, kind FROM timeline WHERE measure_id IN"
        " (SELECT measure_id FROM measure_sectors WHERE sector IN ('seafood', 'diamonds'))").fetchall()
    assert sorted((m.id, d, k) for m in drawn for d, k in m.events) == sorted(events)
    for day in (dt.date(2022, 3, 1), dt.date(2022, 6, 1), dt.date(2024, 3, 1), dt.date.today()):
        in_force = {m.id for m in drawn if any(a <= day and (b is None or day < b) for a, b in m.in_force)}
        expected = {i for (i,) in con.execute(
            "SELECT measure_id FROM status_on(?::DATE) WHERE status = 'in_force'", [day]).fetchall()}
        assert in_force == expected & {m.id for m in drawn}, day


@drawing
def test_png_output(cli, tmp_path):
    out = tmp_path / "picture.PNG"
    result = cli("plot", "--authority", "EU", "--out", out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@drawing
def test_the_same_data_gives_the_same_bytes():
    measures = [Row("xx-2022-one", "US", [(dt.date(2022, 3, 1), "announced"), (dt.date(2022, 3, 8), "in_force")],
                    [(dt.date(2022, 3, 8), None)])]
    first = draw(measures, "svg", today=dt.date(2026, 1, 1))
    assert first == draw(measures, "svg", today=dt.date(2026, 1, 1))
    assert b"<dc:date>" not in first
    assert "xx-2022-one" in texts(first)  # labels are text, not glyph outlines
    assert draw(measures, "png", today=dt.date(2026, 1, 1)) == draw(measures, "png", today=dt.date(2026, 1, 1))


@drawing
def test_refuses_to_overwrite_unless_forced(cli, tmp_path):
    out = tmp_path / "mine.svg"
    out.write_text("a user's file")
    result = cli("plot", "--out", out)
    assert result.exit_code == 2
    assert result.stderr == f"error: {out} exists (hint: pass --force to replace it)\n"
    assert out.read_text() == "a user's file"
    result = cli("plot", "--sector", "seafood", "--out", out, "--force")
    assert result.exit_code == 0, result.output
    assert "us-2022-seafood-import-ban" in texts(out)
    assert [p.name for p in tmp_path.iterdir()] == ["mine.svg"]  # no temporary file left behind


@pytest.mark.parametrize("name", ["picture.pdf", "picture", "picture.svg.txt"])
def test_another_suffix_is_a_usage_error(cli, tmp_path, name):
    out = tmp_path / name
    result = cli("plot", "--out", out)
    assert result.exit_code == 2
    assert result.stderr == f"error: --out {out}: the picture's name must end in .svg or .png\n"
    assert list(tmp_path.iterdir()) == []


def test_out_is_required_and_its_folder_must_exist(cli, tmp_path):
    result = cli("plot")
    assert result.exit_code == 2 and "--out" in result.stderr
    result = cli("plot", "--out", tmp_path / "nowhere" / "p.svg")
    assert result.exit_code == 2
    assert result.stderr == f"error: no such folder: {tmp_path / 'nowhere'} (hint: create it first)\n"


def test_a_bad_filter_is_a_usage_error(cli, tmp_path):
    result = cli("plot", "--sector", "nonsense", "--out", tmp_path / "p.svg")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --sector: unknown value 'nonsense'")
    assert list(tmp_path.iterdir()) == []


@drawing
def test_an_empty_selection_writes_nothing(cli, tmp_path):
    out = tmp_path / "p.svg"
    result = cli("plot", "--search", "no such text anywhere", "--out", out)
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "no measures match --search 'no such text anywhere'\n"
    assert not out.exists()


@pytest.mark.parametrize("how", ["not installed", "broken"])
def test_without_matplotlib_one_line_says_what_to_install(cli, tmp_path, monkeypatch, how):
    if how == "not installed":
        monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    else:  # installed, but a library it loads is missing: ImportError, not ModuleNotFoundError
        real = __import__

        def broken(name, *args, **kwargs):
            if name.partition(".")[0] == "matplotlib":
                raise ImportError("libfreetype.so.6: cannot open shared object file")
            return real(name, *args, **kwargs)

        monkeypatch.setattr("builtins.__import__", broken)
    out = tmp_path / "p.svg"
    result = cli("plot", "--out", out)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", MISSING)
    assert not out.exists()


@drawing
def test_a_withdrawn_measure_is_not_drawn(cli, good_copy, tmp_path):
    path = good_copy / "measures" / "us-2021-option-weighed.yaml"
    path.write_text(path.read_text() + "withdrawn: {date: 2026-11-01, reason: a test}\n")
    out = tmp_path / "p.svg"
    result = cli("plot", "--data", good_copy, "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(y_labels(out)) == sorted(ids(cli, "--data", good_copy))
    assert "us-2021-option-weighed" not in texts(out)
    con = connect(GOOD)
    assert "us-2021-option-weighed" in texts(picture(con, select(con, {}), "svg")[0])  # drawn when current


def test_the_cli_starts_without_matplotlib():
    code = "import sys, sanctions.cli; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout == "False\n"


def test_the_committed_picture_shows_the_current_dataset(cli):
    assert PICTURE.is_file(), f"docs/timeline.svg is missing: run `{REGENERATE}`"
    drawn, current = sorted(y_labels(PICTURE)), sorted(ids(cli))
    assert drawn == current, (f"docs/timeline.svg shows other measures than the dataset "
                              f"(missing {sorted(set(current) - set(drawn))}, extra "
                              f"{sorted(set(drawn) - set(current))}): run `{REGENERATE}`")

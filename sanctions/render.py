"""Rows out: an 80-column text table, JSON, CSV or NDJSON. Dates become ISO strings everywhere."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from typing import Any

FORMATS = ("table", "json", "csv", "ndjson")


def plain(value: Any) -> Any:
    """A JSON-ready value."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def cell(value: Any) -> str:
    """A value as text, for tables and CSV: lists joined with ';', nothing for NULL."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(cell(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def records(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    return [{c: plain(v) for c, v in zip(columns, row, strict=True)} for row in rows]


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], width: int = 80) -> str:
    """Aligned columns that fit `width`, cut with '…': the last column (a title) first, down to
    20 characters, then the widest ones, so that IDs stay whole as long as possible."""
    texts = [[cell(v).replace("\n", " ") for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in texts]) for i, c in enumerate(columns)]
    budget = width - 2 * (len(columns) - 1)
    excess = sum(widths) - budget
    if excess > 0:
        cut = min(excess, max(widths[-1] - max(20, len(columns[-1])), 0))
        widths[-1] -= cut
    while sum(widths) > budget:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] <= max(len(columns[widest]), 6):
            break
        widths[widest] -= 1

    def fit(text: str, w: int) -> str:
        return text if len(text) <= w else text[: w - 1] + "…"

    lines = ["  ".join(fit(c.upper(), w).ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in texts:
        lines.append("  ".join(fit(t, w).ljust(w) for t, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines) + "\n"


def render(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str,
           table_columns: Sequence[str] | None = None, width: int = 80) -> str:
    if fmt == "json":
        return json.dumps(records(columns, rows), indent=2, ensure_ascii=False) + "\n"
    if fmt == "ndjson":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records(columns, rows))
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([cell(v) for v in row] for row in rows)
        return out.getvalue()
    if table_columns:
        index = [list(columns).index(c) for c in table_columns]
        columns, rows = list(table_columns), [[row[i] for i in index] for row in rows]
    return table(columns, rows, width)


def measure_text(d: dict[str, Any]) -> str:
    """`sanctions show` as readable text."""
    m = d["measure"]
    out = [m["id"], f"  {m['title']}", ""]

    def field(name: str, value: Any) -> None:
        if value not in (None, "", []):
            out.append(f"  {name:<11} {value}")

    field("authority", m["authority"])
    targets = []
    for t in m["targets"]:
        text = t["code"] + (f" ({t['persons']})" if t.get("persons") else "")
        names = [e["name"] for e in t.get("entities", [])]
        targets.append(text + (": " + "; ".join(names) if names else ""))
    field("targets", ", ".join(targets))
    field("type", f"{m['type']} ({d['category']})")
    field("sectors", ", ".join(m["sectors"]))
    field("status", (d["status"] or "none") + " (today)")
    field("withdrawn", d["withdrawn"])
    if m.get("summary"):
        out += ["", "  " + m["summary"]]
    out += ["", "events:"]
    for e in sorted(m["events"], key=lambda e: e["date"]):
        c = e["citation"]
        by = f" by {e['actor']}" if e.get("actor") else ""
        reported = " (date reported)" if e.get("date_basis") == "reported" else ""
        out.append(f"  {e['date']}  {e['kind']}{by}{reported}  [{c['source']}"
                   + (f", {c['locator']}" if c.get("locator") else "") + "]")
        if c.get("quote"):
            out.append(f"              \"{c['quote']}\"")
    if d["instruments"]:
        out += ["", "instruments:"]
        for i in d["instruments"]:
            extra = ", ".join(x for x in (i.get("official_citation"), i.get("provision")) if x)
            out.append(f"  {i.get('date') or 'undated':<10}  {i['identifier']}" + (f" ({extra})" if extra else "")
                       + f"  [{i['id']}]")
    if m.get("goods"):
        out += ["", "goods:"]
        for g in m["goods"]:
            out.append(f"  {g['system']} {g['code']}" + (f"  {g['description']}" if g.get("description") else ""))
    links = [(l["relation"], l["measure"]) for l in m.get("links", [])]
    links += [(f"{l['relation']} (from)", l["measure"]) for l in d["linked_from"]]
    if links:
        out += ["", "links:"]
        out += [f"  {rel:<24} {mid}" for rel, mid in links]
    out += ["", "sources:"]
    for s in d["sources"]:
        date = s.get("published") or "undated"
        out.append(f"  [{s['id']}] {s['title']}. {s['publisher']}, {date}. {s['url']}")
    if m.get("notes"):
        out += ["", "notes:", "  " + m["notes"].strip()]
    return "\n".join(out) + "\n"

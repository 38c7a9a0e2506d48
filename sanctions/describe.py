"""`sanctions show` as readable text: a measure, an instrument or a source, from queries.show()."""

from __future__ import annotations

from typing import Any

from .render import plain, safe


def describe(detail: dict[str, Any]) -> str:
    text = {"measure": _measure, "instrument": _instrument, "source": _source}[detail["record_kind"]](
        plain(detail))
    return "\n".join(safe(line) for line in text) + "\n"


def _fields(out: list[str], pairs: list[tuple[str, Any]]) -> None:
    for name, value in pairs:
        if value not in (None, "", []):
            out.append(f"  {name:<11} {value}")


def _sources(out: list[str], sources: list[dict[str, Any]]) -> None:
    if sources:
        out += ["", "sources:"]
    for s in sources:
        out.append(f"  [{s['id']}] {s['title']}. {s['publisher']}, {s.get('published') or 'undated'}. "
                   f"{s['url']}")


def _notes(out: list[str], notes: str | None) -> None:
    if notes:
        out += ["", "notes:", "  " + " ".join(notes.split())]


def _status(d: dict[str, Any]) -> str:
    m = d["measure"]
    status = (d["status"] or "none") + " (today)"
    if "in_force" in m.get("undated_events", []):
        status += "; in force on a date no source gives"
    return status


def _measure(d: dict[str, Any]) -> list[str]:
    m = d["measure"]
    out = [m["id"], f"  {m['title']}", ""]
    targets = []
    for t in m["targets"]:
        text = t["code"] + (f" ({t['persons']})" if t.get("persons") else "")
        names = [e["name"] for e in t.get("entities", [])]
        targets.append(text + (": " + "; ".join(names) if names else ""))
    _fields(out, [("authority", m["authority"]), ("targets", ", ".join(targets)),
                  ("type", f"{m['type']} ({d['category']})"), ("sectors", ", ".join(m["sectors"])),
                  ("status", _status(d)), ("withdrawn", d["withdrawn"])])
    if m.get("summary"):
        out += ["", "  " + " ".join(m["summary"].split())]
    out += ["", "events:"]
    for e in sorted(m["events"], key=lambda e: e["date"]):
        c = e["citation"]
        by = f" by {e['actor']}" if e.get("actor") else ""
        reported = " (date reported)" if e.get("date_basis") == "reported" else ""
        out.append(f"  {e['date']}  {e['kind']}{by}{reported}  [{c['source']}"
                   + (f", {c['locator']}" if c.get("locator") else "") + "]")
        if c.get("quote"):
            out.append(f"              \"{c['quote']}\"")
    for kind in m.get("undated_events", []):
        out.append(f"  {'undated':<10}  {kind}  (happened; no source read gives the date)")
    if d["instruments"]:
        out += ["", "instruments:"]
        for i in d["instruments"]:
            extra = ", ".join(x for x in (i.get("official_citation"), i.get("provision")) if x)
            out.append(f"  {i.get('date') or 'undated':<10}  {i['identifier']}"
                       + (f" ({extra})" if extra else "") + f"  [{i['id']}]")
    if m.get("goods"):
        out += ["", "goods:"]
        for g in m["goods"]:
            edition = f" ({g['edition']})" if g.get("edition") else ""
            out.append(f"  {g['system']}{edition} {g['code']}"
                       + (f"  {g['description']}" if g.get("description") else ""))
    if m.get("thresholds"):
        out += ["", "thresholds:"]
        for t in m["thresholds"]:
            amount = f"{t['amount']:g}" if isinstance(t["amount"], float) else str(t["amount"])
            out.append(f"  {t['currency']} {amount} {t['applies_to']}"
                       + (f" ({t['goods']})" if t.get("goods") else ""))
    links = [(link["relation"], link["measure"]) for link in m.get("links", [])]
    links += [(f"{link['relation']} (from)", link["measure"]) for link in d["linked_from"]]
    if links:
        out += ["", "links:"]
        out += [f"  {rel:<24} {mid}" for rel, mid in links]
    _sources(out, d["sources"])
    _notes(out, m.get("notes"))
    return out


def _instrument(d: dict[str, Any]) -> list[str]:
    i = d["instrument"]
    out = [i["id"], f"  {i['identifier']}" + (f": {i['title']}" if i.get("title") else ""), ""]
    _fields(out, [("kind", i["kind"]), ("authority", i["authority"]),
                  ("parties", ", ".join(i.get("parties", []))),
                  ("citation", i.get("official_citation")), ("date", i.get("date") or "undated"),
                  ("published", i.get("published")), ("url", i.get("url")),
                  ("amends", ", ".join(d["amends"])), ("amended by", ", ".join(d["amended_by"]))])
    out += ["", "measures:"]
    for m in d["measures"]:
        role = ("makes it" + (f" ({m['provision']})" if m["provision"] else "")) if m["makes"] else ""
        events = ("events: " + ", ".join(m["events"])) if m["events"] else ""
        out.append(f"  {m['id']}  {m['title']}")
        out.append(f"    {'; '.join(x for x in (role, events) if x)}")
    if not d["measures"]:
        out.append("  (none)")
    _sources(out, d["sources"])
    _notes(out, i.get("notes"))
    return out


def _source(d: dict[str, Any]) -> list[str]:
    s = d["source"]
    out = [s["id"], f"  {s['title']}", ""]
    _fields(out, [("kind", s["kind"]), ("publisher", s["publisher"]),
                  ("published", s.get("published") or "undated"), ("accessed", s["accessed"]),
                  ("url", s["url"]), ("archived", s.get("archived_url")), ("language", s.get("language"))])
    if s.get("official_copy_note"):
        out += ["", "official text read in a copy:", "  " + " ".join(s["official_copy_note"].split())]
    out += ["", "cited by:"]
    for c in d["cited_by"]:
        out.append(f"  {c['record_kind']} {c['record_id']} {c['field']}"
                   + (f" [{c['locator']}]" if c.get("locator") else ""))
    _notes(out, s.get("note"))
    return out

"""Rules across records: what one file alone cannot show.

IDs resolve, vocabulary codes exist, events are in a possible order, every source is cited, every
measure that reached force cites a primary text, and a primary text is on its publisher's official
host. Each rule yields Problems located in the file that holds the offending field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from .codes import Lookup, UnknownCode, vocabulary_lookups
from .dataset import Dataset
from .errors import Problem
from .lifecycle import order_problems
from .models import PRIMARY_SOURCE_KINDS, Citation, EventKind, LinkRelation, Measure, Source
from .provenance import host_of, index_hosts, official_host, reserved_host
from .vocab import SCHEDULABLE_EVENTS

Loc = tuple


def run_checks(ds: Dataset, today: dt.date | None = None) -> list[Problem]:
    today = today or dt.date.today()
    out: list[Problem] = []
    for rule in (_references, _vocabularies, _events, _primary_texts, _official_hosts, _sources,
                 _duplicate_lists, _coverage, _cycles, _hosts):
        out.extend(rule(ds, today))
    return out


def _measure_citations(m: Measure) -> Iterator[tuple[Loc, Citation]]:
    for i, e in enumerate(m.events):
        yield ("events", i, "citation"), e.citation
    for i, g in enumerate(m.goods):
        yield ("goods", i, "citation"), g.citation
    for i, t in enumerate(m.thresholds):
        yield ("thresholds", i, "citation"), t.citation
    for i, link in enumerate(m.links):
        if link.citation:
            yield ("links", i, "citation"), link.citation


def _citations(ds: Dataset) -> Iterator[tuple[str, str, Loc, Citation]]:
    """(kind, record id, field path, citation) for every citation in the dataset."""
    for mid, m in ds.measures.items():
        for loc, citation in _measure_citations(m):
            yield "measures", mid, loc, citation
    for iid, inst in ds.instruments.items():
        yield "instruments", iid, ("citation",), inst.citation


def _problem(ds: Dataset, kind: str, rid: str, loc: Loc, code: str, message: str) -> Problem:
    return ds.documents[(kind, rid)].problem(loc, code, message)


def _missing(what: str, ident: str, known: dict) -> str:
    """'source x is not in sources/' with the way out: a close ID, or the command that creates it."""
    import difflib

    close = difflib.get_close_matches(ident, list(known), n=1, cutoff=0.75)
    hint = f"did you mean '{close[0]}'?" if close else \
        f"create it with `sanctions new {what} {ident}`" if what != "measure" else "check the ID"
    return f"{what} '{ident}' is not in {what}s/ ({hint})"


def _references(ds: Dataset, today: dt.date) -> Iterator[Problem]:
    for kind, rid, loc, citation in _citations(ds):
        if citation.source not in ds.sources:
            yield _problem(ds, kind, rid, loc + ("source",), "unknown-source",
                           _missing("source", citation.source, ds.sources))
    for mid, m in ds.measures.items():
        for i, ref in enumerate(m.instruments):
            if ref.instrument not in ds.instruments:
                yield _problem(ds, "measures", mid, ("instruments", i, "instrument"), "unknown-instrument",
                               _missing("instrument", ref.instrument, ds.instruments))
        for i, e in enumerate(m.events):
            if e.instrument and e.instrument not in ds.instruments:
                yield _problem(ds, "measures", mid, ("events", i, "instrument"), "unknown-instrument",
                               _missing("instrument", e.instrument, ds.instruments))
        for i, link in enumerate(m.links):
            if link.measure == mid:
                yield _problem(ds, "measures", mid, ("links", i, "measure"), "self-link",
                               "a measure cannot link to itself")
            elif link.measure not in ds.measures:
                yield _problem(ds, "measures", mid, ("links", i, "measure"), "unknown-measure",
                               _missing("measure", link.measure, ds.measures))
    for iid, inst in ds.instruments.items():
        for i, other in enumerate(inst.amends):
            if other not in ds.instruments:
                yield _problem(ds, "instruments", iid, ("amends", i), "unknown-instrument",
                               _missing("instrument", other, ds.instruments))


def _vocabularies(ds: Dataset, today: dt.date) -> Iterator[Problem]:
    if not ds.authorities or not ds.sectors:
        return  # the vocabulary file itself is broken; that problem is reported already

    authorities, sectors = vocabulary_lookups(ds.authorities, ds.sectors)

    def authority(kind: str, rid: str, loc: Loc, code: str | None) -> Iterator[Problem]:
        if code is not None and code not in ds.authorities:
            yield _problem(ds, kind, rid, loc, "unknown-authority",
                           f"'{code}' is not in vocabularies/authorities.yaml{_advice(authorities, code)}")

    for mid, m in ds.measures.items():
        yield from authority("measures", mid, ("authority",), m.authority)
        for i, t in enumerate(m.targets):
            yield from authority("measures", mid, ("targets", i, "code"), t.code)
        for i, e in enumerate(m.events):
            yield from authority("measures", mid, ("events", i, "actor"), e.actor)
        for i, s in enumerate(m.sectors):
            if s not in ds.sectors:
                yield _problem(ds, "measures", mid, ("sectors", i), "unknown-sector",
                               f"'{s}' is not in vocabularies/sectors.yaml{_advice(sectors, s)}")
    for iid, inst in ds.instruments.items():
        yield from authority("instruments", iid, ("authority",), inst.authority)
        for i, party in enumerate(inst.parties):
            yield from authority("instruments", iid, ("parties", i), party)
    doc = ds.single_documents.get("authorities")
    for i, a in enumerate(ds.authorities.values()):
        for j, member in enumerate(a.members):
            if member not in ds.authorities and doc:
                yield doc.problem(("authorities", i, "members", j), "unknown-authority",
                                  f"member '{member}' is not in this file")
    doc = ds.single_documents.get("official_hosts")
    for i, entry in enumerate(ds.official_hosts if doc else ()):
        for j, code in enumerate(entry.authorities):
            if code not in ds.authorities:
                yield doc.problem(("hosts", i, "authorities", j), "unknown-authority",
                                  f"'{code}' is not in vocabularies/authorities.yaml")


def _advice(lookup: Lookup, text: str) -> str:
    """'UK' -> write the code 'GB'; 'seafod' -> did you mean 'seafood'?"""
    try:
        return f": write the code '{lookup.resolve(text)}'"
    except UnknownCode as exc:
        return f" ({exc.hint})"


def _events(ds: Dataset, today: dt.date) -> Iterator[Problem]:
    for mid, m in ds.measures.items():
        for index, message in order_problems(list(m.events)):
            yield _problem(ds, "measures", mid, ("events", index, "date"), "event-order", message)
        for i, e in enumerate(m.events):
            inst = ds.instruments.get(e.instrument or "")
            if inst is None:
                continue
            expected = {EventKind.adopted: inst.date, EventKind.published: inst.published}.get(e.kind)
            if expected and expected != e.date:
                yield _problem(ds, "measures", mid, ("events", i, "date"), "date-mismatch",
                               f"'{e.kind.value}' on {e.date} but instrument '{inst.id}' "
                               f"says {expected}")
        for i, e in enumerate(m.events):
            if e.kind.value not in SCHEDULABLE_EVENTS and e.date > today:
                yield _problem(ds, "measures", mid, ("events", i, "date"), "future-date",
                               f"'{e.kind.value}' on {e.date} is after today: only an entry into force, "
                               "a wind-down's end or an expiry may be scheduled ahead")
            elif e.date > today.replace(year=today.year + 25):
                yield _problem(ds, "measures", mid, ("events", i, "date"), "future-date",
                               f"{e.date} is more than 25 years ahead: check the year")
    for sid, s in ds.sources.items():
        if s.accessed > today:
            yield _problem(ds, "sources", sid, ("accessed",), "future-date",
                           f"accessed {s.accessed} is in the future")
        if s.published and s.published > s.accessed:
            yield _problem(ds, "sources", sid, ("published",), "event-order",
                           f"published {s.published} is after accessed {s.accessed}")
    for iid, inst in ds.instruments.items():
        if inst.published and inst.date and inst.published < inst.date:
            yield _problem(ds, "instruments", iid, ("published",), "event-order",
                           f"published {inst.published} is before the act's date {inst.date}")


def _cited_sources(ds: Dataset, m: Measure) -> set[str]:
    cited = {c.source for _, c in _measure_citations(m)}
    for ref in m.instruments:
        if ref.instrument in ds.instruments:
            cited.add(ds.instruments[ref.instrument].citation.source)
    for e in m.events:
        if e.instrument in ds.instruments:
            cited.add(ds.instruments[e.instrument].citation.source)
    return cited


def _host_index(ds: Dataset) -> dict | None:
    """The official hosts by host; None when official_hosts.yaml is broken (reported already)."""
    return index_hosts(ds.official_hosts) if "official_hosts" in ds.single_documents else None


def counts_as_primary(source: Source, hosts: dict | None) -> bool:
    """Whether a source stands for an official text: of a primary kind, at a real address, and on
    an official host or with an official_copy_note saying why its copy stands for the original."""
    if source.kind not in PRIMARY_SOURCE_KINDS:
        return False
    host = host_of(source.url)
    if host is None or reserved_host(host):
        return False
    return (hosts is None or source.official_copy_note is not None
            or official_host(source.url, hosts) is not None)


def _primary_texts(ds: Dataset, today: dt.date) -> Iterator[Problem]:
    hosts = _host_index(ds)
    for mid, m in ds.measures.items():
        if m.withdrawn or not any(e.kind is EventKind.in_force for e in m.events):
            continue
        cited = [ds.sources[s] for s in sorted(_cited_sources(ds, m)) if s in ds.sources]
        if any(counts_as_primary(s, hosts) for s in cited):
            continue
        unofficial = [repr(s.id) for s in cited if s.kind in PRIMARY_SOURCE_KINDS]
        why = ""
        if unofficial:
            one = len(unofficial) == 1
            why = (f" ({', '.join(unofficial)} {'is' if one else 'are'} not on an official host and "
                   f"{'has' if one else 'have'} no official_copy_note)")
        yield _problem(ds, "measures", mid, ("events",), "primary-source-missing",
                       "the measure entered into force but cites no legal text or official "
                       f"statement{why}: cite the instrument's official text")


def _official_hosts(ds: Dataset, today: dt.date) -> Iterator[Problem]:
    """A primary text is at an address its publisher uses (vocabularies/official_hosts.yaml), or says
    why a copy stands for it; an instrument's url is its official address."""
    hosts = _host_index(ds)
    if hosts is None:
        return
    for sid, s in ds.sources.items():
        host = host_of(s.url)
        if s.withdrawn or host is None or reserved_host(host):
            continue  # a placeholder address is reported as such
        if s.official_copy_note is not None and s.kind not in PRIMARY_SOURCE_KINDS:
            yield _problem(ds, "sources", sid, ("official_copy_note",), "unneeded-copy-note",
                           f"a {s.kind.value} source does not count as a primary text, so it needs no "
                           "official_copy_note: move the text into note")
        elif (s.kind in PRIMARY_SOURCE_KINDS and s.official_copy_note is None
              and official_host(s.url, hosts) is None):
            yield _problem(ds, "sources", sid, ("url",), "unofficial-host",
                           f"'{host}' is not an official host (vocabularies/official_hosts.yaml), so "
                           f"this {s.kind.value} cannot count as a primary text: give the text's "
                           "address on its publisher's official host (add the host to "
                           "official_hosts.yaml if it is the publisher's own), or say in "
                           "official_copy_note why this copy stands for the official text (who "
                           "published the original, where, and why the original was not read); if "
                           "it is not a primary text, change kind")
    for iid, inst in ds.instruments.items():
        host = inst.url and host_of(inst.url)
        if inst.withdrawn or not host or reserved_host(host):
            continue
        if official_host(inst.url, hosts) is None:
            yield _problem(ds, "instruments", iid, ("url",), "unofficial-host",
                           f"'{host}' is not an official host (vocabularies/official_hosts.yaml): an "
                           "instrument's url is the act's official address; give its address on "
                           "the publisher's official host (add the host to official_hosts.yaml if it "
                           "is the publisher's own), or leave url out: the citation names the text "
                           "that was read")


def _sources(ds: Dataset, today: dt.date) -> Iterator[Problem]:
    cited = {c.source for _, _, _, c in _citations(ds)}
    by_url: dict[str, list[str]] = {}
    uses: dict[str, int] = {}
    for _, _, _, c in _citations(ds):
        uses[c.source] = uses.get(c.source, 0) + 1
    for sid, s in sorted(ds.sources.items()):
        if not s.withdrawn:
            by_url.setdefault(s.url, []).append(sid)
        # An invalid record may be what cites it: this rule waits for a valid dataset.
        if sid not in cited and not s.withdrawn and not ds.invalid:
            yield _problem(ds, "sources", sid, ("id",), "uncited-source",
                           "no record cites this source: cite it or withdraw it")
    for sids in by_url.values():
        if len(sids) < 2:
            continue
        # The one to keep is the most cited (then the earliest read): the others are the newcomers.
        keep = min(sids, key=lambda i: (-uses.get(i, 0), ds.sources[i].accessed, i))
        for sid in sids:
            if sid != keep:
                yield _problem(ds, "sources", sid, ("url",), "duplicate-source",
                               f"source '{keep}' (cited {uses.get(keep, 0)} times) has the same URL: cite "
                               f"'{keep}' instead and remove this file (or withdraw it if it was released)")


def _duplicate_lists(ds: Dataset, today: dt.date) -> Iterator[Problem]:
    for mid, m in ds.measures.items():
        for field_name, values in (("sectors", m.sectors),
                                   ("targets", [t.model_dump_json() for t in m.targets]),
                                   ("goods", [(g.system, g.code) for g in m.goods])):
            seen = set()
            for i, value in enumerate(values):
                if value in seen:
                    yield _problem(ds, "measures", mid, (field_name, i), "duplicate-entry",
                                   f"this entry of '{field_name}' is listed twice")
                seen.add(value)


def cell_measures(ds: Dataset, family, authority: str, by_authority: dict[str, list] | None = None) -> list[str]:
    """The measures one coverage cell holds: derived from the records, never listed by hand."""
    period = ds.coverage.period
    if by_authority is None:
        by_authority = _by_authority(ds)
    return sorted(
        mid for mid, m in by_authority.get(authority, [])
        if not m.withdrawn and m.type in family.types
        and (not family.sectors or set(m.sectors) & set(family.sectors))
        and set(t.code for t in m.targets) & set(ds.coverage.targets)
        and any(period.start <= e.date <= period.end for e in m.events))


def _by_authority(ds: Dataset) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for mid, m in ds.measures.items():
        grouped.setdefault(m.authority, []).append((mid, m))
    return grouped


def _coverage(ds: Dataset, today: dt.date) -> Iterator[Problem]:
    cov, doc = ds.coverage, ds.single_documents.get("coverage")
    if cov is None or doc is None or not ds.authorities or not ds.sectors:
        return
    if cov.period.end < cov.period.start:
        yield doc.problem(("period", "end"), "event-order", "the period ends before it starts")
    for i, code in enumerate(cov.authorities):
        if code not in ds.authorities:
            yield doc.problem(("authorities", i), "unknown-authority",
                              f"'{code}' is not in vocabularies/authorities.yaml")
    for i, code in enumerate(cov.targets):
        if code not in ds.authorities:
            yield doc.problem(("targets", i), "unknown-authority",
                              f"'{code}' is not in vocabularies/authorities.yaml")
    families = {}
    for i, family in enumerate(cov.families):
        if family.code in families:
            yield doc.problem(("families", i, "code"), "duplicate-code", f"family '{family.code}' is listed twice")
        families[family.code] = family
        for j, sector in enumerate(family.sectors):
            if sector not in ds.sectors:
                yield doc.problem(("families", i, "sectors", j), "unknown-sector",
                                  f"'{sector}' is not in vocabularies/sectors.yaml")
    seen: dict[tuple[str, str], int] = {}
    by_authority = _by_authority(ds)
    for i, cell in enumerate(cov.cells):
        key = (cell.family, cell.authority)
        if cell.family not in families:
            yield doc.problem(("cells", i, "family"), "unknown-family",
                              f"family '{cell.family}' is not declared under families")
            continue
        if cell.authority not in cov.authorities:
            yield doc.problem(("cells", i, "authority"), "unknown-authority",
                              f"'{cell.authority}' is not declared under authorities")
            continue
        if key in seen:
            yield doc.problem(("cells", i), "duplicate-entry",
                              f"{cell.family} × {cell.authority} is already declared (cells[{seen[key]}])")
            continue
        seen[key] = i
        if cell.status.value != "complete" and not cell.note:
            yield doc.problem(("cells", i, "note"), "missing-field",
                              f"a {cell.status.value} cell needs a note: "
                              + ("what is missing" if cell.status.value == "partial" else "what was searched"))
        held = cell_measures(ds, families[cell.family], cell.authority, by_authority)
        if cell.status.value == "none_found" and held:
            yield doc.problem(("cells", i, "status"), "coverage-contradiction",
                              f"none_found, but {len(held)} measure{'s' * (len(held) > 1)} "
                              f"{'are' if len(held) > 1 else 'is'} recorded ({', '.join(held[:3])}): "
                              "make it complete or partial")
        if cell.status.value == "complete" and not held and not ds.invalid:
            yield doc.problem(("cells", i, "status"), "coverage-contradiction",
                              "complete, but no measure is recorded: if none was found, say none_found "
                              "and what was searched")
    for family in cov.families:
        for authority in cov.authorities:
            if (family.code, authority) not in seen:
                yield doc.problem(("cells",), "missing-cell",
                                  f"no cell for {family.code} × {authority}: add one (complete, partial "
                                  "or none_found)")


def _cycle_starts(edges: dict[str, list[str]]) -> list[list[str]]:
    """Each cycle of a directed graph once, as the list of its nodes (smallest first)."""
    cycles, state = [], {}
    for start in sorted(edges):
        if state.get(start):
            continue
        stack = [(start, iter(edges.get(start, [])))]
        path, on_path = [start], {start}
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                on_path.discard(node)
                state[node] = 2
            elif child in on_path:
                cycle = path[path.index(child):]
                k = cycle.index(min(cycle))
                cycles.append(cycle[k:] + cycle[:k])
            elif not state.get(child) and child in edges:
                state[child] = 1
                stack.append((child, iter(edges.get(child, []))))
                path.append(child)
                on_path.add(child)
    return sorted(map(list, {tuple(c) for c in cycles}))


def _cycles(ds: Dataset, today: dt.date) -> Iterator[Problem]:
    """A measure cannot supersede or amend itself through others; nor can an instrument."""
    for relation in (LinkRelation.supersedes, LinkRelation.amends):
        edges = {mid: [link.measure for link in m.links if link.relation is relation]
                 for mid, m in ds.measures.items()}
        for cycle in _cycle_starts(edges):
            if len(cycle) == 1:
                continue  # a link to itself is reported as self-link
            m = ds.measures[cycle[0]]
            index = next(i for i, link in enumerate(m.links) if link.relation is relation
                         and link.measure in cycle)
            yield _problem(ds, "measures", cycle[0], ("links", index, "measure"), "link-cycle",
                           f"'{relation.value}' links go round in a circle: "
                           + " -> ".join(cycle + [cycle[0]]))
    edges = {iid: list(i.amends) for iid, i in ds.instruments.items()}
    for cycle in _cycle_starts(edges):
        inst = ds.instruments[cycle[0]]
        index = next(i for i, other in enumerate(inst.amends) if other in cycle)
        yield _problem(ds, "instruments", cycle[0], ("amends", index), "link-cycle",
                       "'amends' goes round in a circle: " + " -> ".join(cycle + [cycle[0]]))


def _scripts(label: str) -> set[str]:
    import unicodedata

    return {unicodedata.name(ch, "UNKNOWN").split()[0] for ch in label if ch.isalpha()}


def mixed_script_host(url: str) -> str | None:
    """The host of `url` when one of its labels mixes scripts (an IDN homograph such as 'аpple')."""
    host = url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit(":", 1)[0]
    for label in host.split("."):
        if label.lower().startswith("xn--"):
            try:
                label = label[4:].encode("ascii").decode("punycode")
            except (UnicodeError, ValueError):
                return host
        if len(_scripts(label)) > 1:
            return host
    return None


def _hosts(ds: Dataset, today: dt.date) -> Iterator[Problem]:
    for kind, fields in (("sources", ("url", "archived_url")), ("instruments", ("url",))):
        for rid, record in getattr(ds, kind).items():
            for name in fields:
                url = getattr(record, name)
                host = url and mixed_script_host(url)
                if host:
                    yield _problem(ds, kind, rid, (name,), "mixed-script-host",
                                   f"the host {host!r} mixes scripts (letters of one alphabet disguised "
                                   "as another): give the address as the publisher writes it")

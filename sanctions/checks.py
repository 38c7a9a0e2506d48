"""Rules across records: what one file alone cannot show.

IDs resolve, events agree with their instruments, every source is cited and no two share a URL,
every measure that reached force cites a primary text, links go round in no circle, and coverage
agrees with the records. The rules run over each record's digest (digest.py), not its model; the
rules on one record alone run with the file's own checks (record_checks.py). Each rule yields
Problems located in the file that holds the offending field.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from itertools import chain
from operator import itemgetter
from typing import Any

from .dataset import Dataset
from .digest import MeasureDigest
from .errors import Problem

Loc = tuple
#: Relations of measures whose links may go round in no circle.
IN_NO_CIRCLE = ("supersedes", "amends")


def run_checks(ds: Dataset) -> list[Problem]:
    out: list[Problem] = []
    uses = _uses(ds)
    for rule in (partial(_references, uses=uses), _vocabularies, _instrument_dates, _primary_texts,
                 partial(_sources, uses=uses), _coverage, _cycles):
        out.extend(rule(ds))
    return out


def _uses(ds: Dataset) -> Counter:
    """How many citations name each source (counted in C: a rule runs over every citation)."""
    measures, instruments = ds.digests["measures"].values(), ds.digests["instruments"].values()
    uses = Counter(map(itemgetter(1), chain.from_iterable(m.citations for m in measures)))
    uses.update(inst.source for inst in instruments)
    return uses


def _citations(ds: Dataset) -> Iterator[tuple[str, str, Loc, str]]:
    """(kind, record id, field path, source id) for every citation in the dataset."""
    for mid, m in ds.digests["measures"].items():
        for loc, source in m.citations:
            yield "measures", mid, loc, source
    for iid, inst in ds.digests["instruments"].items():
        yield "instruments", iid, ("citation",), inst.source


def _problem(ds: Dataset, kind: str, rid: str, loc: Loc, code: str, message: str) -> Problem:
    return ds.documents[(kind, rid)].problem(loc, code, message)


def _missing(what: str, ident: str, known: dict) -> str:
    """'source x is not in sources/' with the way out: a close ID, or the command that creates it."""
    import difflib

    close = difflib.get_close_matches(ident, list(known), n=1, cutoff=0.75)
    hint = f"did you mean '{close[0]}'?" if close else \
        f"create it with `sanctions new {what} {ident}`" if what != "measure" else "check the ID"
    return f"{what} '{ident}' is not in {what}s/ ({hint})"


def _references(ds: Dataset, uses: Counter) -> Iterator[Problem]:
    measures, sources, instruments = ds.digests["measures"], ds.digests["sources"], ds.digests["instruments"]
    if uses.keys() - sources.keys():  # (set differences first: the loops only find where)
        for kind, rid, loc, source in _citations(ds):
            if source not in sources:
                yield _problem(ds, kind, rid, loc + ("source",), "unknown-source",
                               _missing("source", source, sources))
    named = set(chain.from_iterable(m.instruments for m in measures.values()))
    named.update(map(itemgetter(2), chain.from_iterable(m.events for m in measures.values())))
    named.discard(None)
    linked = set(map(itemgetter(1), chain.from_iterable(m.links for m in measures.values())))
    suspects = measures.items()
    if not named - instruments.keys() and not linked - measures.keys():  # only self-links to find
        suspects = [(mid, m) for mid, m in measures.items() if m.links and any(o == mid for _, o in m.links)]
    for mid, m in suspects:
        for i, ref in enumerate(m.instruments):
            if ref not in instruments:
                yield _problem(ds, "measures", mid, ("instruments", i, "instrument"), "unknown-instrument",
                               _missing("instrument", ref, instruments))
        for i, (_, _, instrument) in enumerate(m.events):
            if instrument and instrument not in instruments:
                yield _problem(ds, "measures", mid, ("events", i, "instrument"), "unknown-instrument",
                               _missing("instrument", instrument, instruments))
        for i, (_, other) in enumerate(m.links):
            if other == mid:
                yield _problem(ds, "measures", mid, ("links", i, "measure"), "self-link",
                               "a measure cannot link to itself")
            elif other not in measures:
                yield _problem(ds, "measures", mid, ("links", i, "measure"), "unknown-measure",
                               _missing("measure", other, measures))
    for iid, inst in instruments.items():
        for i, other in enumerate(inst.amends):
            if other not in instruments:
                yield _problem(ds, "instruments", iid, ("amends", i), "unknown-instrument",
                               _missing("instrument", other, instruments))


def _vocabularies(ds: Dataset) -> Iterator[Problem]:
    """The vocabulary files' own cross-references (the records' codes are checked with each file)."""
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


def _instrument_dates(ds: Dataset) -> Iterator[Problem]:
    """An adoption or publication event on an instrument has the instrument's date."""
    instruments = ds.digests["instruments"]
    for mid, m in ds.digests["measures"].items():
        for i, (kind, date, instrument) in enumerate(m.events):
            inst = instruments.get(instrument or "")
            if inst is None:
                continue
            expected = instrument_date(kind, inst)
            if expected and expected != date:
                yield _problem(ds, "measures", mid, ("events", i, "date"), "date-mismatch",
                               f"'{kind}' on {date} but instrument '{instrument}' says {expected}")


def instrument_date(kind: str, instrument) -> Any:
    """The date an instrument gives an event of this kind on it (None: it gives none)."""
    return {"adopted": instrument.date, "published": instrument.published}.get(kind)


def cited_sources(m: MeasureDigest, instrument_of: Callable[[str | None], Any]) -> set[str]:
    """The sources a measure cites, itself or through the instruments it names (`instrument_of`:
    an instrument's digest, None when there is none; recheck.py asks it of a changed measure)."""
    cited = {source for _, source in m.citations}
    for ref in (*m.instruments, *(instrument for _, _, instrument in m.events)):
        instrument = instrument_of(ref)
        if instrument is not None:
            cited.add(instrument.source)
    return cited


def _primary_texts(ds: Dataset) -> Iterator[Problem]:
    sources = ds.digests["sources"]
    for mid, m in ds.digests["measures"].items():
        if m.withdrawn or not m.in_force:
            continue
        found = cited_sources(m, ds.digests["instruments"].get)
        if any(sources[s].primary for s in found if s in sources):
            continue
        cited = [(s, sources[s]) for s in sorted(found) if s in sources]
        unofficial = [repr(sid) for sid, s in cited if s.primary_kind]
        why = ""
        if unofficial:
            one = len(unofficial) == 1
            why = (f" ({', '.join(unofficial)} {'is' if one else 'are'} not on an official host and "
                   f"{'has' if one else 'have'} no official_copy_note)")
        yield _problem(ds, "measures", mid, ("events",), "primary-source-missing",
                       "the measure entered into force but cites no legal text or official "
                       f"statement{why}: cite the instrument's official text")


def _sources(ds: Dataset, uses: Counter) -> Iterator[Problem]:
    sources = ds.digests["sources"]
    by_url: dict[str, list[str]] = {}
    for sid, s in sorted(sources.items()):
        if not s.withdrawn:
            by_url.setdefault(s.url, []).append(sid)
        # An invalid record may be what cites it: this rule waits for a valid dataset.
        if sid not in uses and not s.withdrawn and not ds.invalid:
            yield _problem(ds, "sources", sid, ("id",), "uncited-source",
                           "no record cites this source: cite it or withdraw it")
    for sids in by_url.values():
        if len(sids) < 2:
            continue
        # The one to keep is the most cited (then the earliest read): the others are the newcomers.
        keep = min(sids, key=lambda i: (-uses.get(i, 0), sources[i].accessed, i))
        for sid in sids:
            if sid != keep:
                yield _problem(ds, "sources", sid, ("url",), "duplicate-source",
                               f"source '{keep}' (cited {uses.get(keep, 0)} times) has the same URL: cite "
                               f"'{keep}' instead and remove this file (or withdraw it if it was released)")


def cell_measures(ds: Dataset, family, authority: str, by_authority: dict[str, list] | None = None) -> list[str]:
    """The measures one coverage cell holds: derived from the records, never listed by hand."""
    if by_authority is None:
        by_authority = _by_authority(ds)
    holds = in_cell(ds.coverage, family)
    return sorted(mid for mid, m in by_authority.get(authority, []) if holds(m))


def in_cell(coverage, family) -> Callable[[MeasureDigest], bool]:
    """Whether a measure of the cell's authority falls in the family's cells: current, of one of
    its types and sectors, against a target and with an event in the period (recheck.py counts
    the measures of each cell with it too)."""
    period = coverage.period
    types, sectors, targets = {t.value for t in family.types}, set(family.sectors), set(coverage.targets)
    return lambda m: (not m.withdrawn and m.type in types
                      and (not sectors or not sectors.isdisjoint(m.sectors))
                      and not targets.isdisjoint(m.targets)
                      and any(period.start <= date <= period.end for date in m.dates))


def _by_authority(ds: Dataset) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for mid, m in ds.digests["measures"].items():
        grouped.setdefault(m.authority, []).append((mid, m))
    return grouped


def _coverage(ds: Dataset) -> Iterator[Problem]:
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


def _cycles(ds: Dataset) -> Iterator[Problem]:
    """A measure cannot supersede or amend itself through others; nor can an instrument."""
    measures, instruments = ds.digests["measures"], ds.digests["instruments"]
    for relation in IN_NO_CIRCLE:
        edges = {mid: [other for kind, other in m.links if kind == relation] for mid, m in measures.items()
                 if m.links}  # (a measure with no links is in no cycle)
        for cycle in _cycle_starts(edges):
            if len(cycle) == 1:
                continue  # a link to itself is reported as self-link
            index = next(i for i, (kind, other) in enumerate(measures[cycle[0]].links)
                         if kind == relation and other in cycle)
            yield _problem(ds, "measures", cycle[0], ("links", index, "measure"), "link-cycle",
                           f"'{relation}' links go round in a circle: " + " -> ".join(cycle + [cycle[0]]))
    edges = {iid: list(i.amends) for iid, i in instruments.items() if i.amends}
    for cycle in _cycle_starts(edges):
        inst = instruments[cycle[0]]
        index = next(i for i, other in enumerate(inst.amends) if other in cycle)
        yield _problem(ds, "instruments", cycle[0], ("amends", index), "link-cycle",
                       "'amends' goes round in a circle: " + " -> ".join(cycle + [cycle[0]]))

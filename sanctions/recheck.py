"""The rules across records after a few records changed, decided from a summary of the dataset as
they last found it clean: the work is that of the changed records, not of the whole dataset.

The rules found nothing in the dataset the summary describes. Every problem they could find after
a change involves a changed record: a reference it makes to a record that does not exist, or to it
once it is gone; an event date that disagrees with its instrument's; a measure in force with no
primary text; a source cited no more, or sharing its URL; a coverage cell emptied or filled; a
circle of links through its new links. The summary holds what those need of the unchanged
records (how often each record is referred to, the URL of each current source, the measures each
coverage cell holds, the links that may go round in no circle and the amendments), and the
digests of the few records a changed one refers to are read from the facts. When the changes surely leave nothing to find, the summary
is brought up to date and kept; when they might not, the caller runs every rule over every
digest (changes.py), which says exactly what there is. No change is ever passed over: "might"
includes every case the summary cannot decide.

Kept in the facts folder as `rules-<key>.summary` (marshal), for the dataset whose marks
(facts.mark_of: what the rules see of each file, the vocabularies and coverage included) hash to
its key; the last two are kept.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from .checks import IN_NO_CIRCLE, cited_sources, in_cell, instrument_date
from .facts import folder_of
from .files import write_atomic_bytes
from .store import code_hash, read_own

NAME = "rules-{}.summary"  # (the key: key_of the marks)
KEEP = 2  # summaries kept: the validation's index and the database's may describe two states


class Summary(NamedTuple):
    refs: dict[str, dict[str, int]]              # kind -> record ID -> how many references name it
    urls: dict[bytes, str]                       # hash of a URL (_url) -> the current source that has it
    cells: list[int] | None                      # measures held by each coverage cell (None: no cell is checked)
    links: dict[str, dict[str, tuple]]           # relation in no circle -> measure -> the measures it links to so
    amends: dict[str, tuple]                     # instrument -> the instruments it amends, when any


class Unsure(Exception):
    """What a change might have broken cannot be told from the summary."""


def references(kind: str, digest: Any) -> Iterator[tuple[str, str]]:
    """(kind, ID) of every record a record refers to, once per reference, as the rules count
    them (a source's uses: checks._uses)."""
    if kind == "measures":
        for _, source in digest.citations:
            yield "sources", source
        for instrument in digest.instruments:
            yield "instruments", instrument
        for _, _, instrument in digest.events:
            if instrument:
                yield "instruments", instrument
        for _, other in digest.links:
            yield "measures", other
    elif kind == "instruments":
        yield "sources", digest.source
        for other in digest.amends:
            yield "instruments", other


def summary_of(ds: Any) -> Summary | None:
    """The summary of a dataset the rules found nothing in (its digests, vocabularies, coverage)."""
    try:
        cells = _cells(ds)
    except Unsure:
        return None
    refs: dict[str, dict[str, int]] = {"measures": {}, "sources": {}, "instruments": {}}
    for kind in ("measures", "instruments"):
        for digest in ds.digests[kind].values():
            for ref_kind, ident in references(kind, digest):
                counted = refs[ref_kind]
                counted[ident] = counted.get(ident, 0) + 1
    urls = {_url(s.url): sid for sid, s in ds.digests["sources"].items() if not s.withdrawn}
    links: dict[str, dict[str, tuple]] = {relation: {} for relation in IN_NO_CIRCLE}
    for mid, m in ds.digests["measures"].items():
        for relation, others in _in_no_circle(m).items():
            links[relation][mid] = others
    return Summary(refs, urls, cells, links, {iid: i.amends for iid, i in ds.digests["instruments"].items() if i.amends})


def _url(url: str) -> bytes:
    """A URL, hashed (64 bits: the summary is a third of the size). Two URLs with one hash only
    send a change to the rules over every record; equal URLs always have one."""
    return hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def _in_no_circle(m: Any) -> dict[str, tuple]:
    """The measures a measure links to by each relation that may go round in no circle."""
    out: dict[str, list] = {}
    for relation, other in m.links:
        if relation in IN_NO_CIRCLE:
            out.setdefault(relation, []).append(other)
    return {relation: tuple(others) for relation, others in out.items()}


def _cell_tests(ds: Any) -> list[tuple[str, Callable]] | None:
    """(authority, membership test) of each coverage cell, when the coverage rule counts them."""
    cov = ds.coverage
    if cov is None or ds.single_documents.get("coverage") is None or not ds.authorities or not ds.sectors:
        return None
    families = {f.code: f for f in cov.families}
    if any(cell.family not in families for cell in cov.cells):
        raise Unsure  # (the coverage rule reports it: no summary is kept of such a dataset)
    return [(cell.authority, in_cell(cov, families[cell.family])) for cell in cov.cells]


def _cells(ds: Any) -> list[int] | None:
    tests = _cell_tests(ds)
    if tests is None:
        return None
    by_authority: dict[str, list] = {}
    for m in ds.digests["measures"].values():
        by_authority.setdefault(m.authority, []).append(m)
    return [sum(map(holds, by_authority.get(authority, ()))) for authority, holds in tests]


def key_of(marks: bytes) -> str:
    return hashlib.blake2b(marks, digest_size=16).hexdigest()


def load(root: Path, marks: bytes) -> Summary | None:
    """The summary of the dataset with these marks (Index.marks), if one is kept."""
    key = key_of(marks)
    raw = read_own(folder_of(root) / NAME.format(key))
    try:
        code, kept, fields = marshal.loads(raw) if raw is not None else (None, None, None)
        return Summary(*fields) if code == code_hash() and kept == key else None
    except (ValueError, EOFError, TypeError):
        return None


def keep(root: Path, marks: bytes, summary: Summary) -> None:
    """Keep the summary of the dataset with these marks, and the KEEP - 1 kept last before it."""
    folder, key = folder_of(root), key_of(marks)
    path = folder / NAME.format(key)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic_bytes(path, marshal.dumps((code_hash(), key, tuple(summary))))
        os.chmod(path, 0o600)
        kept = sorted(folder.glob(NAME.format("*")), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in kept[KEEP:]:
            if old != path:
                old.unlink()
    except OSError:
        pass  # (costs only speed next time)


def after(summary: Summary, changes: dict[tuple[str, str], tuple[Any, Any]], ds: Any,
          digest_of: Callable[[str, str], Any]) -> Summary | None:
    """The summary after `changes` ((kind, ID) -> (old digest or None, new digest or None)), when
    the rules surely find nothing in the changed dataset; None when they might. `ds` holds the
    vocabularies and coverage (unchanged); `digest_of(kind, ID)` is any record's digest now (None:
    no such record), Unsure when it cannot be had."""
    try:
        return _after(summary, changes, ds, digest_of)
    except Unsure:
        return None


def _after(summary: Summary, changes: dict, ds: Any, digest_of: Callable[[str, str], Any]) -> Summary | None:
    refs, urls = summary.refs, summary.urls
    cited: set[str] = set()                            # sources whose uses may have changed
    for (kind, ident), (old, new) in changes.items():
        for digest, step in ((old, -1), (new, 1)):
            if digest is not None:
                for ref_kind, other in references(kind, digest):
                    counted = refs[ref_kind]
                    counted[other] = counted.get(other, 0) + step
                    if not counted[other]:
                        del counted[other]
                    if ref_kind == "sources":
                        cited.add(other)
        if kind == "sources":
            cited.add(ident)
    for (kind, ident), (old, new) in changes.items():
        if new is None:
            if refs[kind].get(ident):
                return None                            # gone, and still referred to
            continue
        for ref_kind, other in references(kind, new):
            if digest_of(ref_kind, other) is None:
                return None                            # an unknown ID
        if kind == "measures" and not _measure_holds(ident, new, digest_of):
            return None
        if kind == "sources" and old is not None and old.primary and not new.primary and refs["sources"].get(ident):
            return None                                # a measure may have lost its primary text
        if kind == "instruments" and old is not None and refs["instruments"].get(ident):
            if (old.date, old.published) != (new.date, new.published):
                return None                            # an event on it may disagree now
            if old.source != new.source and not getattr(digest_of("sources", new.source), "primary", False):
                return None
    for source in cited:
        if not refs["sources"].get(source):
            digest = digest_of("sources", source)
            if digest is not None and not digest.withdrawn:
                return None                            # cited no more
    for (kind, ident), (old, _) in changes.items():
        if kind == "sources" and old is not None and urls.get(_url(old.url)) == ident:
            del urls[_url(old.url)]
    for (kind, ident), (_, new) in changes.items():
        if kind == "sources" and new is not None and not new.withdrawn:
            if urls.setdefault(_url(new.url), ident) != ident:
                return None                            # the URL of another source
    cells = _cells_after(summary.cells, changes, ds)
    links, amends = summary.links, summary.amends
    for (kind, ident), (_, new) in changes.items():
        if kind == "measures":
            now = _in_no_circle(new) if new is not None else {}
            for relation, graph in links.items():
                _put(graph, ident, now.get(relation, ()))
        elif kind == "instruments":
            _put(amends, ident, new.amends if new is not None else ())
    for (kind, ident), (_, new) in changes.items():
        if new is None:
            continue
        if kind == "measures" and any(_returns(ident, lambda m, g=links[relation]: g.get(m, ()))
                                      for relation in _in_no_circle(new)):
            return None                                # links in a circle
        if kind == "instruments" and new.amends and _returns(ident, lambda i: amends.get(i, ())):
            return None
    return Summary(refs, urls, cells, links, amends)


def _measure_holds(ident: str, m: Any, digest_of: Callable[[str, str], Any]) -> bool:
    """What the rules ask of a measure alone against the records it names (as checks.py)."""
    if any(other == ident for _, other in m.links):
        return False                                   # a link to itself
    instruments = {ref: digest_of("instruments", ref)
                   for ref in (*m.instruments, *(i for _, _, i in m.events if i))}
    for kind, date, ref in m.events:
        instrument = instruments.get(ref or "")
        expected = instrument_date(kind, instrument) if instrument else None
        if expected and expected != date:
            return False
    if m.withdrawn or not m.in_force:
        return True
    found = cited_sources(m, instruments.get)
    return any(getattr(digest_of("sources", source), "primary", False) for source in found)


def _cells_after(cells: list[int] | None, changes: dict, ds: Any) -> list[int] | None:
    """The measures each cell holds after the changes (None: no cell is checked); Unsure when a
    complete cell is left empty or a none_found cell holds one."""
    tests = _cell_tests(ds)
    if tests is None or cells is None or len(cells) != len(tests):
        if tests is None and cells is None:
            return None
        raise Unsure
    cells = list(cells)
    for (kind, _), (old, new) in changes.items():
        if kind != "measures":
            continue
        for i, (authority, holds) in enumerate(tests):
            cells[i] += (new is not None and new.authority == authority and holds(new)) \
                - (old is not None and old.authority == authority and holds(old))
    for count, cell in zip(cells, ds.coverage.cells, strict=True):
        if (cell.status.value == "none_found" and count) or (cell.status.value == "complete" and not count):
            raise Unsure
    return cells


def _put(graph: dict, node: str, edges: tuple) -> None:
    if edges:
        graph[node] = edges
    else:
        graph.pop(node, None)


def _returns(start: str, children: Callable[[str], Any]) -> bool:
    """Whether a path leads from `start` back to it."""
    stack, seen = list(children(start)), set()
    while stack:
        node = stack.pop()
        if node == start:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(children(node))
    return False

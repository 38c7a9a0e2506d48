"""The few files changed since an index of a valid dataset was written (file_index.py), each
checked alone: what a command needs to trust that index's verdict without validating the rest.

A comment, a blank line, other quoting or wrapping changes a file's bytes and stat, but not its
record as validated (facts.made_of). A title, a note or a quote changes the record but not its
mark (facts.mark_of: what the rules across records see of it). Either way the rules would find
what they found when the index was written, which was nothing, so the dataset is still valid.
A date, a reference or a sector changes the mark, and a record file added or removed (for
`validate`) changes what the rules see: then they are decided from the summary of the dataset
as found clean, with the work of the changed records (recheck.py), or, when it cannot tell, run
again over every record's digest taken from the facts (no other record file is read, nor any
record revived); if they find nothing the dataset is still valid, and what they find is what a
full run reports. Then the database cache updates the changed records in place (refresh.py),
and `validate` says so (clean.py). Anything else (a vocabulary, a file invalid alone or named by
another ID, an entry that is not a record file, other code) goes to the full run.
"""

from __future__ import annotations

import datetime as dt
from array import array
from pathlib import Path
from typing import Any, NamedTuple

from . import checks, recheck
from .dataset import Alone, Dataset, Loaded, read_vocabularies, valid_alone
from .errors import Problem
from .facts import Facts
from .file_index import Index, Seen, differing, same_bytes, unvouched
from .files import RECORD_FOLDERS, file_hash, read_regular, stat_of
from .store import code_hash

RACY_MOST = 2_000  # files to read again, whose stat cannot vouch for them


class Since(NamedTuple):
    """The index brought up to date, the record files whose record changed, and what the rules
    across records found (when what they see changed): the data is valid when they found nothing."""

    index: Index
    changed: dict[str, Alone]    # rel -> the file checked alone, whose record differs
    moved: bool                  # whether any entry was looked at again (else `index` is the old one's)
    problems: tuple[Problem, ...] = ()


def since(root: Path, index: Index, seen: Seen, most: int, today: dt.date) -> Since | None:
    """What changed since `index` was written, when each changed file is valid alone, with what
    the rules across records find (run only if what they see changed); else None (and None for
    more than `most` moved entries).
    `seen`: the entries on disk now (file_index.seen_now): the same as indexed, or (Seen.listing)
    with record files added or removed. The facts of the files checked alone are kept, for the
    next run and for the records an update takes."""
    if index.code != code_hash():  # (an index written by other code is never vouched for)
        return None
    current, folders, taken, listing = seen
    original = index
    if listing is not None:  # (files added or removed: the rules across records see it)
        index = index.relisted(listing)
    try:
        moved = differing(current.tobytes(), index.stats, 32, most + 1)
        if len(moved) > most:
            return None
        close = set(unvouched(index, current)).difference(moved)
        if len(close) > RACY_MOST or not same_bytes(root, index, close):
            return None
        if not moved and not close and listing is None:
            return Since(index, {}, False)
        stats, hashes, made = array("q", index.stats), bytearray(index.hashes), bytearray(index.made)
        to_check: dict[str, int] = {}
        for i in moved:
            rel, old_hash = index.entry(i), index.hashes[16 * i:16 * i + 16]
            if rel.endswith(".yaml") and stats[4 * i] == -1 and listing is not None:
                to_check[rel] = i  # a file added
                continue
            if not any(old_hash) or rel.partition("/")[0] not in RECORD_FOLDERS:
                return None  # not a record's file (an entry scan() passes over, a vocabulary)
            raw, st = read_regular(root / rel)
            if file_hash(raw) == old_hash.hex():  # the same bytes (touched): its stat alone moved
                stats[4 * i:4 * i + 4] = array("q", stat_of(st))
            else:
                to_check[rel] = i
        vocabularies = read_vocabularies(root, today) if to_check or listing is not None else []
        checked = valid_alone(root, list(to_check), today, vocabularies) if to_check else {}
        if checked is None:
            return None
        changed: dict[str, Alone] = {}
        marks, seen_by_rules = bytearray(index.marks), listing is not None
        facts = Facts(root)  # (only the shards of the files looked at are read)
        seen_as: dict[str, tuple[bytes, Any]] = {}  # rel -> (hash before: zeros if none, digest after)
        for rel, alone in checked.items():
            i = to_check[rel]
            if alone.mark != index.marks[16 * i:16 * i + 16].hex():  # the rules across records see it
                if alone.id != rel.partition("/")[2].removesuffix(".yaml"):
                    return None  # (named by another ID: the full run says so)
                marks[16 * i:16 * i + 16], seen_by_rules = bytes.fromhex(alone.mark), True
                seen_as[rel] = (index.hashes[16 * i:16 * i + 16], alone.digest)
            stats[4 * i:4 * i + 4] = array("q", alone.read[:4])
            hashes[16 * i:16 * i + 16] = bytes.fromhex(alone.read[4])
            if alone.made != index.made[16 * i:16 * i + 16].hex():
                made[16 * i:16 * i + 16] = bytes.fromhex(alone.made)
                changed[rel] = alone
        if listing is not None:
            for rel in original.gone_from(listing):
                seen_as[rel] = (original.hash_at(rel), None)
        digests = _before_and_after(facts, seen_as)
    except OSError:
        return None
    if checked:
        _remember(facts, checked, today)
    new = Index(index.key, index.code, folders, index.listing, stats.tobytes(), bytes(hashes), bytes(made),
                bytes(marks), index.db, taken)
    found = _rules_across(root, original, new, vocabularies, digests, facts) if seen_by_rules else []
    return Since(new, changed, True, tuple(found)) if found is not None else None


def _kind_and_id(rel: str) -> tuple[str, str]:
    kind, _, name = rel.partition("/")
    return kind, name.removesuffix(".yaml")


def _kept(facts: Facts, rel: str, content_hash: bytes) -> Any:
    """The digest the facts keep of a record file, if taken from these bytes; else Unsure."""
    held = facts.kept(rel)
    if held is None or held.hash != content_hash.hex():
        raise recheck.Unsure
    return held.digest


def _before_and_after(facts: Facts, seen_as: dict[str, tuple[bytes, Any]]) -> dict[tuple[str, str], tuple] | None:
    """(kind, ID) -> (digest before or None, digest after or None) of each record the rules see
    changed, added or removed; None when a digest before is not kept."""
    try:
        return {_kind_and_id(rel): (_kept(facts, rel, before) if any(before) else None, after)
                for rel, (before, after) in seen_as.items()}
    except recheck.Unsure:
        return None


def _rules_across(root: Path, before: Index, index: Index, vocabularies: list[Loaded],
                  digests: dict[tuple[str, str], tuple] | None, facts: Facts) -> list[Problem] | None:
    """What the rules across records find in the data as `index` has it, each file valid alone:
    every problem a full run would report (no other can arise), located alike; None when the
    facts cannot tell. Decided from the summary of the dataset as `before` has it, when kept and
    when it can (recheck.py: the work of the changed records, `digests`); else run over every
    record's digest from the facts, with no file read but the vocabularies (and those holding a
    problem, to locate it)."""
    summary = recheck.load(root, before.marks) if digests is not None else None
    if summary is not None:
        def digest_of(kind: str, ident: str) -> Any:
            rel = f"{kind}/{ident}.yaml"
            if (kind, ident) in digests:
                return digests[kind, ident][1]
            indexed = index.hash_at(rel)
            return _kept(facts, rel, indexed) if indexed is not None else None

        vocabulary = Dataset.of_vocabularies(root, vocabularies)
        after = recheck.after(summary, digests, vocabulary, digest_of) if vocabulary is not None else None
        if after is not None:
            recheck.keep(root, index.marks, after)
            return []
    dataset = Dataset.as_digested(root, index.record_hashes(), vocabularies)
    if dataset is None:
        return None
    found = checks.run_checks(dataset)
    if not found:
        summary = recheck.summary_of(dataset)
        if summary is not None:
            recheck.keep(root, index.marks, summary)
    return found


def _remember(facts: Facts, checked: dict[str, Alone], today: dt.date) -> None:
    for rel, alone in checked.items():
        facts.put(rel, tuple(alone.read[:4]), alone.read[4], alone.id, alone.record, alone.digest, alone.context,
                  today)
    facts.save()

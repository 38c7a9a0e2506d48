"""`sanctions new`: a record to fill in, with a valid ID and file name, the schema line for editors,
and TODO placeholders that `validate` refuses until each is replaced by what a source says.

What the contributor gave (flags or answers to prompts) is checked against the vocabularies now,
with the same names, aliases and suggestions as everywhere else; nothing else is guessed. The file
is created exclusively: an existing record is never overwritten, even by a race.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import vocab
from .codes import Lookup, UnknownCode, vocabulary_lookups
from .errors import UsageError
from .files import shown

KINDS = {"measure": "measures", "source": "sources", "instrument": "instruments"}
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # models.ID_PATTERN, without importing pydantic
TODO = "TODO"  # one of vocab.PLACEHOLDER_WORDS: validate refuses it (tests/test_contributing.py)


@dataclass(frozen=True)
class Ask:
    """One value a record needs: the flag's key, the prompt, and how to check the answer."""

    key: str
    prompt: str
    check: Callable[[str], str] | None = None
    many: bool = False


def _vocabularies(root: Path) -> tuple[Lookup, Lookup]:
    """The dataset's authority and sector vocabularies, read and checked as `validate` reads them."""
    from .dataset import check_document, read_file
    from .files import SINGLE_FILES

    records = []
    for kind in ("authorities", "sectors"):
        doc, _ = read_file(root / SINGLE_FILES[kind])
        record = check_document(kind, doc)
        if record is None:
            raise UsageError(doc.problems[0].format() if doc.problems else f"cannot read {kind}",
                             hint="run `sanctions validate`")
        records.append({entry.code: entry for entry in getattr(record, kind)})
    return vocabulary_lookups(*records)


def _closed(label: str, vocabulary: vocab.Vocabulary) -> Callable[[str], str]:
    return _checker(Lookup(label, list(vocabulary.codes)), label)


def _checker(lookup: Lookup, label: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        try:
            return lookup.resolve(text)
        except UnknownCode as exc:
            raise UsageError(f"--{label}: unknown value '{text}'", hint=exc.hint) from None
    return check


def _date(text: str) -> str:
    from .filters import parse_date

    return parse_date(text, "--published").isoformat()


def asks(kind: str, root: Path) -> list[Ask]:
    """What each kind of record needs from the contributor."""
    authorities, sectors = _vocabularies(root)
    authority, target = _checker(authorities, "authority"), _checker(authorities, "target")
    if kind == "measure":
        sector = _checker(sectors, "sector")
        return [Ask("title", "Short title"), Ask("authority", "Authority (code or name)", authority),
                Ask("target", "Target (code or name)", target, many=True),
                Ask("type", "Measure type", _closed("type", vocab.MEASURE_TYPES)),
                Ask("sector", "Sector", sector, many=True)]
    if kind == "source":
        return [Ask("title", "Title as the document gives it"), Ask("publisher", "Publisher"),
                Ask("kind", "Kind of source", _closed("kind", vocab.SOURCE_KINDS)), Ask("url", "URL"),
                Ask("published", "Published (YYYY-MM-DD)", _date)]
    return [Ask("identifier", "The act's own name (e.g. 'Council Regulation (EU) 2022/345')"),
            Ask("kind", "Kind of act", _closed("kind", vocab.INSTRUMENT_KINDS)),
            Ask("authority", "Authority (code or name)", authority)]


def _q(value: str) -> str:
    """A YAML 1.2 double-quoted scalar."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(kind: str, record_id: str, v: dict[str, Any], today: dt.date) -> str:
    """The record's text: given values, TODO where a source must be read."""
    def one(key: str, todo: str) -> str:
        return _q(v[key]) if v.get(key) else _q(f"{TODO}: {todo}")

    schema = f"# yaml-language-server: $schema=../../schemas/{kind}.schema.json\n"
    head = f'{schema}schema_version: "1.0"\nid: {record_id}\n'
    if kind == "measure":
        targets = "".join(f"  - code: {t}\n" for t in v.get("target") or []) or f"  - code: {TODO}\n"
        sectors = ", ".join(v.get("sector") or []) or TODO
        return head + (
            f"title: {one('title', 'a short title')}\n"
            f"summary: {_q(TODO + ': what the measure does, in one or two sentences, from the sources')}\n"
            f"authority: {v.get('authority') or TODO}\n"
            f"targets:\n{targets}"
            f"type: {v.get('type') or TODO}\n"
            f"sectors: [{sectors}]\n"
            "instruments:  # the act(s) that make it; remove this list if none is known\n"
            f"  - instrument: {TODO}\n"
            f"    provision: {_q(TODO + ': article or section')}\n"
            "events:  # one per dated step, each citing the source that gives the date\n"
            "  - kind: announced\n"
            f"    date: {TODO}\n"
            "    citation:\n"
            f"      source: {TODO}\n"
            f"      quote: {_q(TODO + ': the words of the source that give this date')}\n")
    if kind == "source":
        return head + (
            f"kind: {v.get('kind') or TODO}\n"
            f"title: {one('title', 'the title as the document gives it')}\n"
            f"publisher: {one('publisher', 'who published it (the original publisher, not a copy)')}\n"
            f"published: {v.get('published') or TODO}\n"
            f"accessed: {today.isoformat()}\n"
            f"url: {v['url'] if v.get('url') else TODO}\n"
            "language: en\n")
    return head + (
        f"kind: {v.get('kind') or TODO}\n"
        f"authority: {v.get('authority') or TODO}\n"
        f"identifier: {one('identifier', 'the act’s own name')}\n"
        f"date: {TODO}  # signed or adopted; remove the line if no source gives it\n"
        f"url: {TODO}  # the official text\n"
        "citation:\n"
        f"  source: {TODO}\n"
        f"  quote: {_q(TODO + ': the words of the source that identify the act')}\n")


def create_exclusive(path: Path, text: str) -> None:
    """Write a whole new file, or nothing: a temporary file linked to its name, which fails if the
    name exists (so not even a race overwrites a record)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)
    except FileExistsError:
        raise UsageError(f"{shown(path)} exists already: records are never overwritten",
                         hint="choose another ID, or edit that file") from None
    finally:
        os.unlink(tmp)


def new(kind: str, root: Path, record_id: str, given: dict[str, Any], today: dt.date | None = None,
        asked: list[Ask] | None = None) -> Path:
    """Check what was given (against `asked`, when the caller read the vocabularies already),
    write the record, return its path."""
    if not ID_RE.fullmatch(record_id) or not 2 <= len(record_id) <= 80:
        raise UsageError(f"'{record_id}' is not a valid ID",
                         hint="lowercase letters and digits joined by hyphens, e.g. gb-2022-caviar-import-ban")
    folder = root / KINDS[kind]
    for other in KINDS.values():
        if (root / other / f"{record_id}.yaml").exists():
            raise UsageError(f"{shown(root / other / (record_id + '.yaml'))} exists already: records are "
                             "never overwritten, and IDs are never reused", hint="choose another ID")
    values: dict[str, Any] = {}
    for ask in asked or asks(kind, root):
        value = given.get(ask.key)
        if not value:
            continue
        if ask.many:
            values[ask.key] = [ask.check(v) if ask.check else v for v in value]
        else:
            values[ask.key] = ask.check(value) if ask.check else value
    if not folder.is_dir():
        raise UsageError(f"no folder {shown(folder)}", hint="--data names a dataset folder")
    from .fmt import format_bytes, model_for

    path = folder / f"{record_id}.yaml"
    text = render(kind, record_id, values, today or dt.date.today())
    create_exclusive(path, format_bytes(text.encode("utf-8"), shown(path), model_for(KINDS[kind])))  # as `fmt` lays it out
    return path

"""Files in a data folder -> typed records, with every problem found on the way.

Each file is checked by its pydantic model and, when that fails, against its committed-format JSON
Schema (the contract other tools use, and the better error messages). A file the model accepts is
then searched for placeholders (provenance.py) and checked against the vocabularies
(record_checks.py), and its digest is taken (digest.py). Rules that need other records run
afterwards, in checks.py, over the digests; the records themselves stay packed until asked for.
"""

from __future__ import annotations

import datetime as dt
import difflib
import gc
import json
import multiprocessing as mp
import os
import pickle
import time
import zlib
from collections.abc import Callable, Iterator, MutableMapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from functools import cache, partial
from pathlib import Path
from typing import Any, NamedTuple

from .digest import digest_of
from .errors import Problem
from .facts import Facts, fingerprint, made_of, mark_of
from .files import SINGLE_FILES, DataFile, Unreadable, file_hash, read_regular, scan, shown, stat_of
from .io import Document, parse_bytes
from .models import (
    RECORD_KINDS, SINGLE_FILE_MODELS, Authority, Coverage, Instrument, Measure, OfficialHost,
    OfficialHosts, Record, Sector, Source,
)
from .provenance import curation_problems, placeholder_problems
from .record_checks import Context, record_problems

#: Schema name for each folder of records.
FOLDER_SCHEMA = {"measures": "measure", "sources": "source", "instruments": "instrument"}


class Packed:
    """A record as compressed bytes, revived only when its model is wanted (a build of its rows,
    `load()`): the JSON text its model was validated from, validated again (the very same model,
    and quicker than unpickling one), or, for a salvaged record (made from no text), a pickle."""

    __slots__ = ("data", "model")

    def __init__(self, data: bytes, model: type[Record] | None = None):
        self.data = data
        self.model = model

    @classmethod
    def of_text(cls, text: str, model: type[Record]) -> Packed:
        return cls(zlib.compress(text.encode("utf-8", "surrogatepass"), 1), model)

    @classmethod
    def of_record(cls, record: Record) -> Packed:
        return cls(zlib.compress(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL), 1))

    def revive(self) -> Record:
        raw = zlib.decompress(self.data)
        if self.model is None:
            return pickle.loads(raw)
        return self.model.model_validate_json(raw.decode("utf-8", "surrogatepass"))


class Records(MutableMapping):
    """Records by ID, each revived on first access: validation needs only the digests."""

    def __init__(self) -> None:
        self._items: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        value = self._items[key] = self.peek(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self._items[key] = value

    def __delitem__(self, key: str) -> None:
        del self._items[key]

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Records({len(self)} records)"

    def peek(self, key: str) -> Any:
        """The model, not kept: a build reads each record once, and holding them all would
        double its memory."""
        value = self._items[key]
        return value.revive() if type(value) is Packed else value


@dataclass
class Dataset:
    """Every valid record of a data folder, by ID, and the documents they came from."""

    root: Path
    measures: Records = field(default_factory=Records)
    sources: Records = field(default_factory=Records)
    instruments: Records = field(default_factory=Records)
    #: kind -> id -> what the rules across records need of each record (digest.py).
    digests: dict[str, dict[str, tuple]] = field(
        default_factory=lambda: {kind: {} for kind in RECORD_KINDS})
    authorities: dict[str, Authority] = field(default_factory=dict)
    sectors: dict[str, Sector] = field(default_factory=dict)
    #: The entries of official_hosts.yaml, in the file's order (provenance.index_hosts looks them up).
    official_hosts: list[OfficialHost] = field(default_factory=list)
    coverage: Coverage | None = None
    #: (kind, id) -> the Document a record came from, to locate problems found later.
    documents: dict[tuple[str, str], Document] = field(default_factory=dict)
    #: name -> the Document of each single file (vocabularies, coverage).
    single_documents: dict[str, Document] = field(default_factory=dict)
    #: How many record files could not be read or were invalid (rules that count records wait).
    invalid: int = 0
    #: rel path -> (size, mtime_ns, ctime_ns, inode, hash) of exactly the bytes parsed.
    read: dict[str, tuple[int, int, int, int, str]] = field(default_factory=dict)
    #: What the rules across records see, fingerprinted (facts.fingerprint), when every file was
    #: valid alone and has its facts; else None.
    seen: str | None = None
    #: rel path -> what the database is built from (facts.made_of), for each file valid alone.
    made: dict[str, str] = field(default_factory=dict)
    #: rel path -> what the rules across records see of it (facts.mark_of, in hex), likewise.
    marks: dict[str, str] = field(default_factory=dict)
    #: When its files began to be read (time.time_ns()): what they held is known as of then.
    began: int = 0
    #: Set when no record is loaded: the records of each kind, counted. For one found clean as
    #: before (clean.py), `index` holds its files' entries; for one `as_indexed`, `fetch` takes
    #: records from the facts.
    counted: dict[str, int] | None = None
    index: Any = None  # (file_index.Index)
    _facts: tuple[Facts, Callable[[str], str | None]] | None = field(default=None, repr=False)

    @classmethod
    def as_indexed(cls, root: Path, made: Callable[[str], str | None], counted: dict[str, int]) -> Dataset:
        """The valid dataset whose record files hold the records `made` gives (rel -> made_of, None
        for no record), each fetched from the facts when asked for, and only if it is that very
        record (else NotAsValidated: the facts moved on since the validation)."""
        with no_collection():
            return cls(root, counted=counted, _facts=(Facts(root), made))

    @classmethod
    def as_digested(cls, root: Path, records: dict[str, str], vocabularies: list[Loaded]) -> Dataset | None:
        """The valid dataset as the rules across records see it, when its record files are
        `records` (rel -> hash of its bytes), each named by its ID: their digests from the facts,
        each only if taken from those very bytes (else None), the `vocabularies` as read
        (read_vocabularies; None when any is invalid), each record's document located only if a
        rule needs it. For those rules alone, after edits to files each checked alone (changes.py)."""
        with no_collection():
            dataset = cls.of_vocabularies(root, vocabularies)
            if dataset is None:
                return None
            found = 0
            for rel, held in Facts(root).every_held():
                wanted = records.get(rel)
                if wanted is None:
                    continue
                if held.hash != wanted:
                    return None
                kind, _, name = rel.partition("/")
                dataset.digests[kind][name.removesuffix(".yaml")] = held.digest
                found += 1
            return dataset if found == len(records) else None

    @classmethod
    def of_vocabularies(cls, root: Path, vocabularies: list[Loaded]) -> Dataset | None:
        """A dataset of no record yet, with the vocabularies and coverage as read
        (read_vocabularies); None when any is invalid."""
        dataset, problems = cls(root, documents=_Located(root)), []
        for loaded in vocabularies:
            _register(dataset, loaded, problems)
        return None if problems or dataset.invalid else dataset

    def count(self, kind: str) -> int:
        return self.counted[kind] if self.counted is not None else len(getattr(self, kind))

    def fetch(self, kind: str, ident: str) -> Record | None:
        """One record by ID (not kept), or None."""
        if self._facts is None:
            records = getattr(self, kind)
            return records.peek(ident) if ident in records else None
        facts, made = self._facts
        rel = f"{kind}/{ident}.yaml"  # (in a valid dataset, each record's file is named by its ID)
        expected = made(rel)
        if expected is None:
            return None
        record = facts.record(rel, expected)
        if record is None:
            raise NotAsValidated(rel)
        return Packed(record, RECORD_KINDS[kind]).revive()

    def released(self) -> Dataset:
        """The same records without what only the checks need (digests, documents): what a build
        holds, so that their memory serves the build (0.4 GB at 100,000 measures)."""
        return replace(self, digests={kind: {} for kind in RECORD_KINDS}, documents={}, single_documents={})


class _Located(dict):
    """(kind, id) -> the Document of a record's file, made when first asked for (a rule that
    finds a problem locates it; the others never ask)."""

    def __init__(self, root: Path):
        super().__init__()
        self.root = root

    def __missing__(self, key: tuple[str, str]) -> Document:
        rel = f"{key[0]}/{key[1]}.yaml"
        document = self[key] = _unread(shown(self.root), rel, self.root / rel)
        return document


def _unread(where: str, rel: str, source: str | Path) -> Document:
    """The document of a file not read in this run (its facts hold): located when first asked."""
    return Document(rel if where == "." else f"{where}/{rel}", source=source, locations=None)


class NotAsValidated(Exception):
    """A record asked of the facts is not the one validated (Dataset.as_indexed)."""


class Loaded(NamedTuple):
    """One file's outcome: its document (with its own problems), the stat and hash of the bytes
    parsed, and its record (Packed; for records, with their ID and digest) or None when invalid."""

    file: DataFile
    doc: Document
    read: tuple | None
    record: Any
    id: str | None = None
    digest: tuple | None = None


def kind_of(path: Path, data: Any) -> str | None:
    """Which record kind a file named on the command line is: by folder, else by its fields."""
    if path.parent.name in FOLDER_SCHEMA:
        return path.parent.name
    if path.stem in SINGLE_FILE_MODELS:
        return path.stem
    if isinstance(data, dict):
        if "events" in data:
            return "measures"
        if "accessed" in data:
            return "sources"
        if "identifier" in data:
            return "instruments"
    return None


def read_file(path: Path) -> tuple[Document, tuple[int, int, int, int, str] | None]:
    """Read and parse one file, once: the Document and the stat and hash of the bytes parsed."""
    where = shown(path)
    try:
        raw, st = read_regular(path)
    except Unreadable as exc:
        return Document(where, problems=[Problem(where, 1, 1, "", exc.code, exc.strerror)]), None
    doc = parse_bytes(raw, where)
    doc.source = path
    return doc, (*stat_of(st), file_hash(raw))


def check_document(kind: str, doc: Document) -> Record | None:
    """The record of a parsed document, or None with its problems added to the document."""
    return _checked(kind, doc)[0]


def _checked(kind: str, doc: Document) -> tuple[Record | None, str]:
    """check_document, and the JSON text the record was validated from."""
    if doc.problems:
        return None, ""
    # The model (compiled, fast) decides; the JSON Schema, which accepts exactly the same
    # documents (tests/test_schema.py), runs only on failure, for its better messages.
    model = RECORD_KINDS.get(kind) or SINGLE_FILE_MODELS[kind]
    text = json.dumps(doc.data)
    record, problems = model_problems(doc, model, text)
    if record is None:
        doc.problems.extend(schema_problems(doc, FOLDER_SCHEMA.get(kind, kind)) or problems)
    else:
        doc.problems.extend(placeholder_problems(doc, text))
        if kind in RECORD_KINDS:
            doc.problems.extend(curation_problems(doc, record))
    return record, text


PARALLEL_FROM = 2_000  # files; below this, starting worker processes costs more than it saves


def _load_one(context: Context, data_file: DataFile) -> Loaded:
    """One file read, parsed and checked on its own and against the vocabularies (`context`), its
    bulk released: the unit of work. An invalid record comes back salvaged (its valid part,
    doc.moved set) for the rules across records."""
    doc, read = read_file(data_file.path)
    kind = data_file.kind
    record, text = _checked(kind, doc)
    if kind not in RECORD_KINDS:
        return Loaded(data_file, doc, read, None if record is None else Packed.of_text(text, SINGLE_FILE_MODELS[kind]))
    if record is not None:
        packed = Packed.of_text(text, RECORD_KINDS[kind])
    elif doc.data is not None:
        from .salvage import salvage

        kept = salvage(RECORD_KINDS[kind], doc.data)
        if kept is None:
            return Loaded(data_file, doc, read, None)
        record, doc.moved = kept
        packed = Packed.of_record(record)
    else:
        return Loaded(data_file, doc, read, None)
    doc.problems.extend(record_problems(kind, record, doc, context))
    if doc.moved is None:
        doc.release()
    return Loaded(data_file, doc, read, packed, record.id, digest_of(kind, record, context.hosts))


def _read_all(files: list[DataFile], context: Context) -> Iterator[Loaded]:
    """Every file through _load_one, in order; on both cores when there are many."""
    work = partial(_load_one, context)
    workers = min(os.cpu_count() or 1, 4)
    if len(files) < PARALLEL_FROM or workers < 2 or "fork" not in mp.get_all_start_methods():
        yield from map(work, files)
        return
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
        try:
            yield from pool.map(work, files, chunksize=256)
        except BaseException:  # Ctrl-C: what is not started yet never will be
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _load_all(files: list[DataFile], facts: Facts | None, root: Path, context: Context) -> Iterator[Loaded]:
    """Every file, in order: one unchanged since a run under the same code, vocabularies and an
    earlier or equal day from its facts (its document located lazily, if a rule across records
    needs it), the others read."""
    reused: dict[int, Loaded] = {}
    where = shown(root)
    if facts is not None:
        for index, data_file in enumerate(files):
            if data_file.stat is None:
                continue
            single = data_file.kind not in RECORD_KINDS
            fact = facts.get(data_file.rel, stat_of(data_file.stat), "" if single else context.key,
                             context.today)
            held = facts.held(data_file.rel, fact) if fact is not None else None
            if held is not None:  # (file names in the data folder are checked safe by scan)
                doc = _unread(where, data_file.rel, data_file.location)
                model = SINGLE_FILE_MODELS[data_file.kind] if single else RECORD_KINDS[data_file.kind]
                reused[index] = Loaded(data_file, doc, (*fact.stat, fact.hash), Packed(held.record, model),
                                       fact.id, held.digest)
    with closing(_read_all([f for i, f in enumerate(files) if i not in reused], context)) as fresh:
        for index in range(len(files)):
            yield reused[index] if index in reused else next(fresh)


def load_dataset(root: Path, extra: list[Path] | None = None, reuse: bool = True,
                 today: dt.date | None = None) -> tuple[Dataset, list[Problem]]:
    """Read every file of the dataset (and `extra` files named by the user) into a Dataset, with
    every problem a file shows alone or against the vocabularies (as of `today`); with `reuse`,
    files unchanged since the last run come from its facts (facts.py), unread."""
    with no_collection():
        return _load_dataset(root, extra, reuse, today or dt.date.today())


@contextmanager
def no_collection() -> Iterator[None]:
    """The garbage collector off: records are long-lived and make no cycles, and with a large
    dataset in memory each collection rescans all of it (a third of a warm `validate`). On the
    way out, what was made meanwhile moves to the oldest generation at once (freeze, unfreeze: a
    list splice), or the first collection after would scan it all (0.8 s at 100,000 measures)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def _load_dataset(root: Path, extra: list[Path] | None, reuse: bool, today: dt.date) -> tuple[Dataset, list[Problem]]:
    dataset = Dataset(root, began=time.time_ns())
    files, problems = scan(root)
    facts = Facts(root).load() if reuse else None
    valid_alone: list[str] = []
    marks: list[bytes] = []
    own = {f.rel for f in files}
    if extra:
        for path in extra:
            if rel_in(root, path) in own:
                continue  # (resolving each of the dataset's own files instead cost seconds)
            doc, _ = read_file(path)
            kind = kind_of(path, doc.data)
            if kind is None:
                problems.append(doc.problems[0] if doc.problems else Problem(
                    doc.path, 1, 1, "", "unknown-kind",
                    "cannot tell what record this is: put it in measures/, sources/ or instruments/"))
                continue
            files.append(DataFile(kind, path, shown(path)))
    # The vocabularies first: the rules on each record check its codes against them.
    singles = [f for f in files if f.kind not in RECORD_KINDS and f.rel in own]
    context = Context(today)
    for batch in (singles, [f for f in files if f.kind in RECORD_KINDS or f.rel not in own]):
        with closing(_load_all(batch, facts, root, context)) as loads:  # (stopped: workers too)
            for loaded in loads:
                _register(dataset, loaded, problems)
                rel, doc, read = loaded.file.rel, loaded.doc, loaded.read
                if read and rel in own:  # what the dataset's own files held, for the cache key
                    dataset.read[rel] = read
                    if loaded.record is not None and doc.moved is None and not doc.problems:
                        if facts is None:
                            dataset.made[rel] = made_of(loaded.record.data)
                            dataset.marks[rel] = mark_of(rel, loaded.id, loaded.digest, read[4]).hex()
                            continue
                        valid_alone.append(rel)
                        if rel not in facts.served:  # read this time: remember it
                            single = loaded.file.kind not in RECORD_KINDS
                            facts.put(rel, tuple(read[:4]), read[4], loaded.id, loaded.record.data,
                                      loaded.digest, "" if single else context.key, today)
                        fact = facts.known[rel]
                        marks.append(fact.mark)
                        dataset.made[rel] = fact.made
                        dataset.marks[rel] = fact.mark.hex()
        if batch is singles:
            context = Context.of(today, dataset.authorities, dataset.sectors,
                                 dataset.official_hosts if "official_hosts" in dataset.single_documents else None,
                                 dataset.read)
    if facts is not None:
        if not problems and len(valid_alone) == len(files):
            dataset.seen = fingerprint(marks)
        facts.keep_only(valid_alone)
        facts.save()
    return dataset, problems


def rel_in(root: Path, path: Path) -> str | None:
    """A file's path within the data folder, or None if it is not in it."""
    base, resolved = root.resolve(), path.resolve()
    return resolved.relative_to(base).as_posix() if resolved.is_relative_to(base) else None


class Alone(NamedTuple):
    """A record file checked alone and against the vocabularies (valid_alone)."""

    read: tuple    # the stat and hash of the bytes parsed
    made: str      # what the database is built from (facts.made_of)
    mark: str      # what the rules across records see (facts.mark_of, in hex)
    id: str
    record: bytes  # packed (Packed.data)
    digest: Any
    context: str   # the key of the vocabularies it was checked against


def read_vocabularies(root: Path, today: dt.date) -> list[Loaded]:
    """The single files (vocabularies, coverage), each read and checked alone now."""
    with no_collection():
        return [_load_one(Context(today), DataFile(kind, root / rel, rel)) for kind, rel in SINGLE_FILES.items()]


def valid_alone(root: Path, rels: list[str], today: dt.date, vocabularies: list[Loaded]) -> dict[str, Alone] | None:
    """Each of these record files, when each is valid alone and against the `vocabularies` as
    read (read_vocabularies); else None."""
    with no_collection():
        context = _context(today, vocabularies)
        checked = _alone(context, [DataFile(rel.partition("/")[0], root / rel, rel) for rel in rels])
    if context is None or checked is None:
        return None
    return {c.file.rel: Alone(c.read, made_of(c.record.data), mark_of(c.file.rel, c.id, c.digest, c.read[4]).hex(),
                              c.id, c.record.data, c.digest, context.key) for c in checked}


def _context(today: dt.date, singles: list[Loaded]) -> Context | None:
    """The vocabularies as the rules on each record see them, from the single files; None when
    any of these is invalid."""
    vocabularies, problems = Dataset(Path()), []
    for loaded in singles:
        _register(vocabularies, loaded, problems)
    if problems or any(loaded.record is None or not loaded.read for loaded in singles):
        return None
    return Context.of(today, vocabularies.authorities, vocabularies.sectors,
                      vocabularies.official_hosts if "official_hosts" in vocabularies.single_documents else None,
                      {loaded.file.rel: loaded.read for loaded in singles})


def _alone(context: Context | None, files: list[DataFile]) -> list[Loaded] | None:
    """Each file read and checked alone and against the vocabularies; None when any is invalid."""
    if context is None:
        return None
    out = []
    for data_file in files:
        loaded = _load_one(context, data_file)
        if loaded.record is None or loaded.doc.moved is not None or loaded.doc.problems or not loaded.read:
            return None
        out.append(loaded)
    return out


def _register(dataset: Dataset, loaded: Loaded, problems: list[Problem]) -> None:
    """Put a loaded file's record in the dataset, with the problems of a duplicated ID or code."""
    kind, doc, record = loaded.file.kind, loaded.doc, loaded.record
    problems.extend(doc.problems)
    if record is None or doc.moved is not None:
        dataset.invalid += 1  # invalid (perhaps salvaged for the rules)
    if record is None:
        return
    if kind not in RECORD_KINDS:
        record = record.revive()  # (a vocabulary or the coverage: the rules on records read them now)
    if kind in RECORD_KINDS:
        ident, key = loaded.id, (kind, loaded.id)
        registry = getattr(dataset, kind)._items  # (Records' own dict: this runs once per file)
        if ident in registry:
            first = dataset.documents[key]
            problems.append(doc.problem(("id",), "duplicate-id", f"id '{ident}' is already used by {first.path}"))
            return
        registry[ident] = record
        dataset.digests[kind][ident] = loaded.digest
        dataset.documents[key] = doc
        if loaded.file.rel != f"{kind}/{ident}.yaml" and loaded.file.stem != ident:
            problems.append(doc.problem(("id",), "id-mismatch",
                                        f"id '{loaded.id}' differs from the file name "
                                        f"'{shown(loaded.file.name)}': rename the file to '{loaded.id}.yaml'"))
    elif isinstance(record, Coverage):
        dataset.single_documents[kind] = doc
        dataset.coverage = record
    elif isinstance(record, OfficialHosts):
        dataset.single_documents[kind] = doc
        dataset.official_hosts = list(record.hosts)
        for index, entry in enumerate(record.hosts):
            if any(other.host == entry.host and (not entry.paths or not other.paths
                                                 or set(entry.paths) & set(other.paths))
                   for other in record.hosts[:index]):
                problems.append(doc.problem(("hosts", index, "host"), "duplicate-code",
                                            f"host '{entry.host}' is listed twice: give each "
                                            "entry of a shared host its own paths"))
    else:
        dataset.single_documents[kind] = doc
        entries = record.authorities if kind == "authorities" else record.sectors
        registry = getattr(dataset, kind)
        for index, entry in enumerate(entries):
            if entry.code in registry:
                problems.append(doc.problem((kind, index, "code"), "duplicate-code",
                                            f"code '{entry.code}' is listed twice"))
            registry[entry.code] = entry


# --- per-file checks ---------------------------------------------------------------------------


@cache
def _validator(schema_name: str) -> Any:
    from jsonschema import Draft202012Validator, FormatChecker

    from .schema import generate

    return Draft202012Validator(generate(schema_name), format_checker=FormatChecker())


_PATTERN_HINTS = {
    "ID": "must be lowercase letters and digits joined by single hyphens, e.g. 'us-2022-seafood-import-ban'",
    "CODE": "must be an upper-case code such as 'US', 'RU' or 'EU'",
    "VOCAB": "must be a lower-case code such as 'seafood' or 'alcoholic_beverages'",
    "URL": "must be an http(s) URL without user name or password",
    "HOST": "must be a lower-case host name such as 'eur-lex.europa.eu', without https:// or a path",
}


def _pattern_hint(pattern: str) -> str:
    from . import models

    for name, hint in _PATTERN_HINTS.items():
        if pattern == getattr(models, f"{name}_PATTERN"):
            return hint
    if pattern.startswith("^[0-9]{2}"):
        return "must be 2 to 10 digits, written in quotes (e.g. \"0302\")"
    return f"must match {pattern}"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _leaf(error: Any) -> Any:
    """For anyOf errors (optional fields), the alternative that came closest, not the null one."""
    while error.validator in ("anyOf", "oneOf") and error.context:
        useful = [e for e in error.context if not (e.validator == "type" and e.validator_value == "null")]
        error = min(useful or error.context, key=lambda e: (-len(e.absolute_path), str(e.validator)))
    return error


def _code_advice(pattern: str, instance: Any) -> str:
    """A country's name where its code belongs ('Belarus'): the code, from pycountry's ISO data."""
    from . import models
    from .codes import country_code

    if pattern != models.CODE_PATTERN or not isinstance(instance, str):
        return ""
    code = country_code(instance)
    return f": write the code '{code}'" if code else ""


def schema_problems(doc: Document, schema_name: str) -> list[Problem]:
    out = []
    for raw in _validator(schema_name).iter_errors(doc.data):
        error = _leaf(raw)
        loc = tuple(error.absolute_path)
        validator, instance = error.validator, error.instance
        if validator == "required":
            missing = [k for k in error.validator_value if k not in instance]
            for key in missing:
                out.append(doc.problem(loc + (key,), "missing-field", f"required field '{key}' is missing"))
            continue
        if validator == "additionalProperties":
            allowed = list(error.schema.get("properties", {}))
            for key in sorted(k for k in instance if k not in allowed):
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f"; allowed: {', '.join(allowed)}"
                out.append(doc.problem(loc + (key,), "unknown-field", f"unknown field '{key}'{hint}"))
            continue
        if validator in ("enum", "const"):
            options = error.validator_value if validator == "enum" else [error.validator_value]
            if loc and loc[-1] == "schema_version":
                out.append(doc.problem(loc, "schema-version",
                                       f"schema_version {_short(instance)} is not supported; "
                                       f"this version of sanctions reads {_short(options[0])}"))
                continue
            close = difflib.get_close_matches(str(instance), [str(o) for o in options], n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            out.append(doc.problem(loc, "not-in-vocabulary",
                                   f"{_short(instance)} is not one of: {', '.join(map(str, options))}{hint}"))
            continue
        if validator == "type":
            expected = error.validator_value
            got = type(instance).__name__.replace("str", "string").replace("NoneType", "nothing")
            got = {"int": "a number", "float": "a number", "bool": "true/false", "dict": "a mapping",
                   "list": "a list"}.get(got, got)
            hint = ""
            if error.schema.get("format") == "date" and not isinstance(instance, bool):
                out.append(doc.problem(loc, "bad-format",
                                       f"{_short(instance)} is not a date: write dates as YYYY-MM-DD"))
                continue
            if expected == "string" and isinstance(instance, int | float | bool):
                hint = ": write it in quotes"
            out.append(doc.problem(loc, "wrong-type", f"expected {expected}, got {got} {_short(instance)}{hint}"))
            continue
        if validator == "pattern":
            code = "bad-url" if str(loc[-1] if loc else "").endswith("url") else "bad-format"
            out.append(doc.problem(loc, code, f"{_short(instance)} {_pattern_hint(error.validator_value)}"
                                              f"{_code_advice(error.validator_value, instance)}"))
            continue
        if validator == "format" and error.validator_value == "date":
            import re

            real = re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(instance))
            out.append(doc.problem(loc, "bad-format", f"{_short(instance)}: no such day" if real else
                                   f"{_short(instance)} is not a date: write dates as YYYY-MM-DD"))
            continue
        if validator == "format":
            out.append(doc.problem(loc, "bad-format", f"{_short(instance)} is not a valid {error.validator_value}"))
            continue
        if validator in ("minLength", "maxLength", "minItems", "maxItems"):
            limit = error.validator_value
            size = len(instance)
            unit = "characters" if isinstance(instance, str) else "entries"
            bound = "at least" if validator.startswith("min") else "at most"
            out.append(doc.problem(loc, "bad-length", f"has {size} {unit}; {bound} {limit} allowed"))
            continue
        out.append(doc.problem(loc, "schema", error.message.splitlines()[0][:200]))
    return out


def model_problems(doc: Document, model: type[Record], text: str | None = None) -> tuple[Record | None, list[Problem]]:
    from pydantic import ValidationError

    try:
        return model.model_validate_json(json.dumps(doc.data) if text is None else text), []
    except ValidationError as exc:
        return None, [doc.problem(tuple(err["loc"]), "invalid", err["msg"]) for err in exc.errors()]

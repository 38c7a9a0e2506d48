"""What changed between two versions of the dataset: the delta feed users subscribe to.

Two data folders, or two git revisions of one (read from git objects, never by a checkout), are
compared by what their files say: the parsed YAML, not the models, so that a diff works across
schema versions and on revisions that today's code would reject, and a change of formatting or
comments is no change. Which files belong to a side is `files.scan()`, as for every command.

A record is a file of measures/, sources/ or instruments/ (its ID is the file name), an entry of
a vocabulary (kind `authority` or `sector`, its ID the code; the rest of the file is kind
`vocabulary`), or the coverage file (kind `coverage`). Each lands in one list: `added`, `changed`,
`withdrawn` (it gained a `withdrawn`), or `removed` (its file or entry is gone, which the rules
forbid: a record is withdrawn, never deleted).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import DataError, Problem, UsageError
from .files import Unreadable, read_regular, scan, shown
from .io import Path_, format_field, parse_bytes

#: Folder or single-file name (files.scan's kinds) -> the kind a record of it is reported as.
KINDS = {"measures": "measure", "sources": "source", "instruments": "instrument", "coverage": "coverage"}
VOCABULARIES = {"authorities": "authority", "sectors": "sector"}
SECTIONS = ("added", "changed", "withdrawn", "removed")
TEXT_VALUE_WIDTH = 60
"""Text output shortens each old and new value to this many columns (JSON never does)."""

Key = tuple[str, str]  # (kind, id)


@dataclass
class Side:
    """One version of the dataset: its name in JSON, its label in text, and its records."""

    name: str
    label: str
    records: dict[Key, tuple[str, Any]] = field(default_factory=dict)
    """(kind, id) -> (the file it is in, relative to the data folder; what the file says)."""


@dataclass
class Diff:
    """The differences, each a plain dict ready for JSON, in the order the README documents."""

    old: str
    new: str
    labels: tuple[str, str]
    added: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    withdrawn: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON document: {old, new, added, changed, withdrawn, removed} (see the README)."""
        return {"old": self.old, "new": self.new, **{s: getattr(self, s) for s in SECTIONS}}

    def text(self) -> str:
        """A summary line, then one line per record and one indented line per field."""
        from .render import safe

        counts = ", ".join(f"{len(getattr(self, s))} {s}" for s in SECTIONS)
        any_ = any(getattr(self, s) for s in SECTIONS)
        lines = [safe(f"{self.labels[0]} → {self.labels[1]}: {counts if any_ else 'no differences'}")]
        for section in SECTIONS:
            for entry in getattr(self, section):
                line = f"{section} {entry['kind']} {entry['id']}"
                if section == "removed":
                    line += f": gone from {entry['path']} (records are withdrawn, never deleted)"
                lines.append(safe(line))
                lines += [safe(f"  {c['field']}: ") + " → ".join(_shortened(c["old"], c["new"]))
                          for c in entry.get("fields", ())]
        return "\n".join(lines) + "\n"


def _shortened(old: Any, new: Any) -> tuple[str, str]:
    """Both values as safe text of at most TEXT_VALUE_WIDTH columns; when they are long and begin
    alike, both start shortly before where they differ, so that the change shows."""
    from .render import cut, safe, width_of

    a, b = (safe(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)) for v in (old, new))
    differ = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    skip = differ - 20
    if differ > TEXT_VALUE_WIDTH - 20 and max(width_of(a), width_of(b)) > TEXT_VALUE_WIDTH:
        a, b = "…" + a[skip:], "…" + b[skip:]
    return cut(a, TEXT_VALUE_WIDTH), cut(b, TEXT_VALUE_WIDTH)


# --- comparing ---------------------------------------------------------------------------------


def _nothing(value: Any) -> bool:
    """A missing key, null, [] and {} all say nothing: writing one for another is no change."""
    return value is None or value == [] or value == {}


def _same(old: Any, new: Any) -> bool:
    if _nothing(old) and _nothing(new):
        return True
    if type(old) is not type(new):  # 1, 1.0 and true are different things to have written
        return False
    if isinstance(old, float) and math.isnan(old) and math.isnan(new):
        return True
    return bool(old == new)


def _scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def changes(old: Any, new: Any, at: Path_ = ()) -> Iterator[tuple[Path_, Any, Any]]:
    """(path, old, new) for every difference. Mappings and lists of mappings are walked; a list
    of scalars, an added or removed key or element, or a change of type is one whole value."""
    if _same(old, new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old.keys() | new.keys():
            yield from changes(old.get(key), new.get(key), at + (key,))
    elif (isinstance(old, list) and isinstance(new, list)
          and not (all(map(_scalar, old)) and all(map(_scalar, new)))):
        for i in range(max(len(old), len(new))):
            yield from changes(old[i] if i < len(old) else None, new[i] if i < len(new) else None,
                               at + (i,))
    else:
        yield at, old, new


def _path_order(path: Path_) -> tuple:
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in path)


def _withdrawn(data: Any) -> bool:
    return isinstance(data, dict) and not _nothing(data.get("withdrawn"))


def compare(old: Side, new: Side) -> Diff:
    """Every record of either side in its list, sorted by kind, then ID, then field path."""
    result = Diff(old.name, new.name, (old.label, new.label))
    for key in sorted(old.records.keys() | new.records.keys()):
        kind, id_ = key
        if key not in old.records:
            result.added.append({"kind": kind, "id": id_, "path": new.records[key][0]})
            continue
        if key not in new.records:
            result.removed.append({"kind": kind, "id": id_, "path": old.records[key][0]})
            continue
        (_, before), (path, after) = old.records[key], new.records[key]
        fields = [{"field": format_field(at), "old": a, "new": b}
                  for at, a, b in sorted(changes(before, after), key=lambda c: _path_order(c[0]))]
        if fields:
            section = result.withdrawn if _withdrawn(after) and not _withdrawn(before) else result.changed
            section.append({"kind": kind, "id": id_, "path": path, "fields": fields})
    return result


# --- reading one side --------------------------------------------------------------------------


def _records(kind: str, rel: str, data: Any) -> Iterator[tuple[Key, Any]]:
    """The records one file holds: itself, or a vocabulary's entries by code (and the rest)."""
    if kind in VOCABULARIES:
        entries = data.get(kind) if isinstance(data, dict) else None
        codes = [e.get("code") if isinstance(e, dict) else None for e in entries or ()]
        if (isinstance(entries, list) and all(isinstance(c, str) for c in codes)
                and len(set(codes)) == len(codes)):
            yield ("vocabulary", kind), {k: v for k, v in data.items() if k != kind}
            for code, entry in zip(codes, entries, strict=True):
                yield (VOCABULARIES[kind], code), entry
            return
        yield ("vocabulary", kind), data  # not a list of coded entries: compared as one whole
    elif kind in KINDS:
        yield (KINDS[kind], PurePosixPath(rel).stem if kind != "coverage" else kind), data
    else:  # any other single file (official_hosts.yaml...): one record, by path
        yield ("vocabulary", kind), data


def read_side(root: Path, name: str, label: str, where: str | None = None) -> Side:
    """Every record of the data folder `root`. `where` names its files in messages instead of
    `root` (e.g. 'HEAD~1:data/'). DataError if a file cannot be read or parsed."""
    if not (root / "measures").is_dir():
        raise UsageError(f"not a dataset folder (no measures/ in it): {where or shown(root)}",
                         hint="give folders that hold measures/, sources/ and vocabularies/")
    files, problems = scan(root)
    if where is not None:  # scan's messages name the temporary folder: name the revision instead
        base = shown(root) + "/"
        problems = [dataclasses.replace(p, path=where + p.path[len(base):])
                    if p.path.startswith(base) else p for p in problems]
    problems = [p for p in problems if p.code != "missing-file"]  # e.g. older than coverage.yaml
    side = Side(name, label)
    for data_file in files:
        shown_as = where + data_file.rel if where is not None else shown(data_file.path)
        try:
            raw, _ = read_regular(data_file.path)
        except Unreadable as exc:
            problems.append(Problem(shown_as, 1, 1, "", exc.code, exc.strerror))
            continue
        doc = parse_bytes(raw, shown_as)
        problems += doc.problems
        if not doc.problems:
            side.records.update((key, (data_file.rel, data))
                                for key, data in _records(data_file.kind, data_file.rel, doc.data))
    if problems:
        raise DataError(sorted(problems))
    return side


def diff_folders(old: Path | str, new: Path | str) -> Diff:
    """The differences between two data folders."""
    sides = []
    for folder in (Path(old), Path(new)):
        if not folder.is_dir():
            raise UsageError(f"folder not found: {shown(folder)}",
                             hint="give two dataset folders, or --rev A..B")
        sides.append(read_side(folder, shown(folder), shown(folder)))
    return compare(*sides)


# --- git revisions -----------------------------------------------------------------------------


def _git(cwd: Path, *args: str, fail: str, hint: str | None = None) -> str:
    """git's output, or UsageError(`fail`) with git's own first line of complaint."""
    try:
        done = subprocess.run(["git", "--literal-pathspecs", *args], cwd=cwd, capture_output=True,
                              stdin=subprocess.DEVNULL, check=False)
    except FileNotFoundError:
        raise UsageError("git is not installed", hint="--rev reads revisions with git") from None
    if done.returncode:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(fail + (f" (git: {why[0]})" if why else ""), hint=hint)
    return done.stdout.decode("utf-8", "surrogateescape")


def _extract(top: Path, commit: str, prefix: str, into: Path) -> None:
    """Write the files under `prefix` at `commit` into `into`, from git's objects. Links are made
    last (scan reports them, never follows them), so no file is ever written through one."""
    listing = _git(top, "ls-tree", "-r", "-z", commit, *([prefix] if prefix else []),
                   fail=f"cannot list {commit}")
    blobs, links = [], []
    for entry in filter(None, listing.split("\0")):
        meta, path = entry.split("\t", 1)
        mode, kind, oid = meta.split()
        parts = path[len(prefix):].split("/")
        if not path.startswith(prefix) or any(p in ("", ".", "..") for p in parts):
            continue  # not a path git would write
        target = into.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        if kind == "commit":  # a submodule: a folder, which scan reports if it is misplaced
            target.mkdir(exist_ok=True)
        elif kind == "blob":
            (links if mode == "120000" else blobs).append((oid, target))
    with subprocess.Popen(["git", "cat-file", "--batch"], cwd=top, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:

        def cat(oid: str) -> bytes:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(oid.encode() + b"\n")
            proc.stdin.flush()
            header = proc.stdout.readline().split()
            if len(header) != 3:  # "<oid> missing": a shallow or damaged clone
                raise UsageError(f"git has no object {oid} of {commit}", hint="fetch the revision")
            size = int(header[2])
            body = proc.stdout.read(size)
            proc.stdout.read(1)  # the newline after each object
            return body

        for oid, target in blobs:
            with contextlib.suppress(FileExistsError), open(target, "xb") as handle:
                handle.write(cat(oid))
        for oid, target in links:  # after every file
            with contextlib.suppress(FileExistsError):
                os.symlink(os.fsdecode(cat(oid)), target)
        proc.stdin.close()  # type: ignore[union-attr]


def _commit(top: Path, rev: str) -> str:
    if not rev or rev.startswith("-"):
        raise UsageError(f"not a revision: {rev!r}", hint="--rev A..B, e.g. --rev v1.0..HEAD")
    return _git(top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}",
                fail=f"unknown revision: {rev}", hint="give a commit, branch or tag that `git log` shows"
                ).strip()


def diff_revisions(data_dir: Path, spec: str) -> Diff:
    """The differences between two git revisions of the data folder, `A..B`; `A` alone compares
    revision A with the folder as it is now (the working copy, uncommitted edits included)."""
    old_rev, dots, new_rev = spec.partition("..")
    if not old_rev or new_rev.startswith(".") or (dots and not new_rev):
        raise UsageError(f"not a revision range: {spec}", hint="--rev A..B, or --rev A for A..working copy")
    where = shown(data_dir)
    top = Path(_git(data_dir, "rev-parse", "--show-toplevel",
                    fail=f"not in a git repository: {where}",
                    hint="--rev reads the data folder's git history; or give two folders").rstrip("\n"))
    prefix = _git(data_dir, "rev-parse", "--show-prefix", fail="git failed").rstrip("\n")
    sides = []
    for rev in filter(None, (old_rev, new_rev)):
        commit = _commit(top, rev)
        with tempfile.TemporaryDirectory(prefix="sanctions-diff-") as tmp:
            _extract(top, commit, prefix, Path(tmp))
            sides.append(read_side(Path(tmp), commit, f"{rev} ({commit[:10]})", f"{rev}:{prefix}"))
    if not new_rev:
        sides.append(read_side(data_dir, where, f"{where} (working copy)"))
    return compare(*sides)

"""Where the data lives; which files are the dataset's; reading them safely; writing atomically.

The dataset's files are regular files inside the data folder: `scan()` is the one definition,
shared by `validate`, the cache and everything else. A symbolic link, FIFO, device, loop or
unreadable entry is a located problem, never followed, never read, and never echoed.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter
from pathlib import Path

from .errors import Problem, UsageError
from .limits import MAX_FILE_BYTES
from .text import escape

PACKAGE_DIR = Path(__file__).resolve().parent


def default_data_dir() -> Path:
    """The data shipped with the package: the checkout's data/ or the copy inside the wheel."""
    for candidate in (PACKAGE_DIR.parent / "data", PACKAGE_DIR / "_data"):
        if (candidate / "measures").is_dir():
            return candidate
    raise UsageError("no dataset found next to the package",
                     hint="pass --data DIR or set SANCTIONS_DATA")


def default_schema_dir() -> Path:
    for candidate in (PACKAGE_DIR.parent / "schemas", PACKAGE_DIR / "_schemas"):
        if candidate.is_dir():
            return candidate
    return PACKAGE_DIR.parent / "schemas"


def is_data_dir(path: Path) -> bool:
    return (path / "measures").is_dir() and (path / "vocabularies").is_dir()


def checkout_data(start: Path | None = None) -> Path | None:
    """The dataset folder of the checkout the working directory is in (the folder itself, or a
    `data/` beside it, looking upwards), or None."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for candidate in (folder, folder / "data"):
            if is_data_dir(candidate):
                return candidate
    return None


def elsewhere(root: Path, data: object) -> tuple[str, str] | None:
    """When no folder was named and the working directory is inside another dataset checkout:
    (what a command uses instead, the option that names the checkout), so that a pass is never
    mistaken for one on the checkout. Reading commands say it; writing ones refuse."""
    if data is not None or os.environ.get("SANCTIONS_DATA"):
        return None
    here = checkout_data()
    if here is None or here.resolve() == root.resolve():
        return None
    return f"this is {shown(root)}/, the package's dataset, not {shown(here)}/ where you are", \
        f"--data {shown(here)}"


def resolve_data_dir(data: str | os.PathLike[str] | None = None) -> Path:
    """--data, else $SANCTIONS_DATA, else the shipped dataset."""
    chosen = data if data is not None else os.environ.get("SANCTIONS_DATA") or None
    if chosen is None:
        return default_data_dir()
    path = Path(chosen).expanduser()
    if not path.is_dir():
        raise UsageError(f"data directory not found: {chosen}",
                         hint="--data and SANCTIONS_DATA name a folder holding measures/ and sources/")
    return path.resolve()


def write_atomic(path: Path, text: str) -> None:
    """Write a whole file or nothing: a temporary file in the same folder, then a rename."""
    write_atomic_bytes(path, text.encode("utf-8"))


def write_atomic_bytes(path: Path, data: bytes) -> None:
    """Write a whole file or nothing: a temporary file in the same folder, then a rename."""
    path = Path(path)
    try:  # the mode the file has, or a new file's usual mode (mkstemp's own is private, 0600)
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


Stat = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode: what an unchanged file is known by


def stat_of(st: os.stat_result) -> Stat:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def split_suffix(name: str) -> tuple[str, str]:
    """A file name's stem and last suffix, as Path.stem and Path.suffix (without making a Path)."""
    dot = name.rfind(".")
    return (name[:dot], name[dot:]) if 0 < dot < len(name) - 1 else (name, "")


#: Folders of records (one file per record) and the files that hold one document each.
RECORD_FOLDERS = ("measures", "sources", "instruments")
SINGLE_FILES = {"authorities": "vocabularies/authorities.yaml", "sectors": "vocabularies/sectors.yaml",
                "official_hosts": "vocabularies/official_hosts.yaml", "coverage": "coverage.yaml"}


@dataclass(frozen=True)
class DataFile:
    """One file of the dataset: what it holds (a folder of records, or a single file's name)."""

    kind: str
    location: str | Path
    """Where it is, as listed: `path` makes it a Path when wanted (200,000 Paths cost a second)."""
    rel: str
    """Its path inside the data folder, with '/': the name the cache and messages use."""
    stat: os.stat_result | None = field(default=None, compare=False)
    """Its lstat when listed (scandir gives it cheaply): what unchanged files are known by."""

    @cached_property
    def path(self) -> Path:
        return Path(self.location)

    @property
    def name(self) -> str:
        return os.path.basename(self.location)

    @property
    def stem(self) -> str:
        return split_suffix(self.name)[0]


def shown(path: Path | str) -> str:
    """A path as the user will recognise it (relative to the working directory when inside it),
    with control characters escaped so that a file name cannot forge a line of output."""
    text = str(path)
    try:
        rel = os.path.relpath(text)
        text = text if rel.startswith("..") else rel
    except ValueError:  # pragma: no cover - other drive on Windows
        pass
    return escape(text, also="\t\n")


def _problem(path: Path, code: str, message: str) -> Problem:
    return Problem(shown(path), 1, 1, "", code, message)


def _kind_of_entry(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _not_regular(path: Path, mode: int) -> Problem:
    return _problem(path, "not-a-regular-file",
                    f"{_kind_of_entry(mode)}: the dataset's files must be regular files inside the "
                    "data folder (replace it with the file itself)")


def scan(root: Path) -> tuple[list[DataFile], list[Problem]]:
    """Every file of the dataset under `root`, in a stable order, and a problem for every entry
    that is not one (misnamed, a link, a FIFO, a device, unreadable)."""
    files: list[DataFile] = []
    problems: list[Problem] = []
    for folder in RECORD_FOLDERS:
        directory = root / folder
        try:
            mode = os.lstat(directory).st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            problems.append(_problem(directory, "unreadable", f"cannot read: {exc.strerror}"))
            continue
        if not stat.S_ISDIR(mode):
            problems.append(_not_regular(directory, mode) if stat.S_ISLNK(mode) else
                            _problem(directory, "unexpected-file", f"{folder} must be a folder"))
            continue
        try:
            with os.scandir(directory) as entries:
                listed = sorted(entries, key=attrgetter("name"))
        except OSError as exc:
            problems.append(_problem(directory, "unreadable", f"cannot list the folder: {exc.strerror}"))
            continue
        # One test of every name at once: then each name needs only its own (0.4 s at 200,000 files).
        unsafe = escape(joined := "/".join(e.name for e in listed), also="\t\n") != joined  # ("/": in no name)
        for entry in listed:
            name = entry.name  # (string tests, not a Path per entry: a second at 200,000 files)
            if name.startswith("."):
                continue
            if unsafe and escape(name, also="\t\n") != name:
                problems.append(_problem(Path(entry.path), "bad-file-name",
                                         "the file name holds control characters: rename the file"))
                continue
            if name.endswith(".yaml") and entry.is_file(follow_symlinks=False):  # a regular file
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    st = None  # reported when read
                files.append(DataFile(folder, entry.path, f"{folder}/{name}", st))
                continue
            suffix = split_suffix(name)[1]
            if entry.is_symlink():
                problems.append(_not_regular(Path(entry.path), stat.S_IFLNK))
            elif entry.is_dir(follow_symlinks=False):
                problems.append(_problem(Path(entry.path), "unexpected-file",
                                         f"not read: records are '<id>.yaml' files directly in {folder}/"))
            elif suffix.lower() in (".yaml", ".yml", ".json") and suffix != ".yaml":
                problems.append(_problem(Path(entry.path), "unexpected-file",
                                         f"not read: records are '<id>.yaml' files directly in {folder}/"))
            elif suffix == ".yaml":  # (not a regular file: a FIFO, a device, a socket)
                try:
                    problems.append(_not_regular(Path(entry.path), entry.stat(follow_symlinks=False).st_mode))
                except OSError as exc:
                    problems.append(_problem(Path(entry.path), "unreadable", f"cannot read: {exc.strerror}"))
    for name, relative in SINGLE_FILES.items():
        path = root / relative
        try:
            st = os.lstat(path)
            mode = st.st_mode
        except FileNotFoundError:
            problems.append(_problem(path, "missing-file", f"the {name} file is missing"))
            continue
        except OSError as exc:
            problems.append(_problem(path, "unreadable", f"cannot read: {exc.strerror}"))
            continue
        if stat.S_ISREG(mode):
            files.append(DataFile(name, path, relative, st))
        else:
            problems.append(_not_regular(path, mode))
    return files, problems


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 1 << 20)
    except OSError as exc:
        raise Unreadable("unreadable", f"cannot read: {exc.strerror}") from None


def file_hash(raw: bytes) -> str:
    """The hash of a file's bytes, as the cache key and index keep it."""
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


class Unreadable(OSError):
    """A dataset file that cannot be read as one: `code` names why, `strerror` says it in a line."""

    def __init__(self, code: str, message: str):
        super().__init__(0, message)
        self.code = code


def read_regular(path: Path) -> tuple[bytes, os.stat_result]:
    """A regular file's bytes and the stat of the very file read, opened without following a link
    and without blocking on a FIFO. OSError (with a one-line reason) for anything else."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == getattr(os, "ELOOP", -1):
            raise Unreadable("not-a-regular-file",
                             "a symbolic link: the dataset's files must be regular files") from None
        raise Unreadable("unreadable", f"cannot read: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Unreadable("not-a-regular-file",
                             f"{_kind_of_entry(st.st_mode)}: the dataset's files must be regular files")
        if st.st_size > MAX_FILE_BYTES:
            raise Unreadable("file-too-large", f"file is {st.st_size} bytes; the limit is {MAX_FILE_BYTES}")
        chunks, size = [], 0
        while chunk := _read(fd):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                raise Unreadable("file-too-large", f"file is over {MAX_FILE_BYTES} bytes")
        return b"".join(chunks), st
    finally:
        os.close(fd)

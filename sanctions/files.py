"""Where the data lives, and writing files without ever leaving half of one behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import UsageError

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
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise

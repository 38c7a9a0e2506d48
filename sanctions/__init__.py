"""sanctions: an open, typed, sourced dataset of economic-sanction measures.

The Python API: `load()` (typed records), `connect()` (read-only DuckDB), `tables()` (pandas
DataFrames checked by pandera) and `query(...)` (the CLI's filters). Imports are lazy so that
`import sanctions` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .dataset import Dataset


def load(data: Any = None) -> Dataset:
    """Every record of the dataset as typed models; raises DataError if any file is invalid."""
    from .files import resolve_data_dir
    from .validate import load_valid

    return load_valid(resolve_data_dir(data))

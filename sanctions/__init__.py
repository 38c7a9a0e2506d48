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


def connect(data: Any = None) -> Any:
    """A read-only DuckDB connection to the dataset (cached; no files, network or extensions)."""
    from .cache import connect as cached
    from .files import resolve_data_dir

    return cached(resolve_data_dir(data))


def tables(data: Any = None) -> dict[str, Any]:
    """Every table as a pandas DataFrame, checked by its pandera DataFrameModel."""
    from .frames import load_frames

    return load_frames(connect(data))


def query(sector: Any = None, authority: Any = None, target: Any = None, type: Any = None,
          status: Any = None, hs: Any = None, in_force_on: Any = None, date_from: Any = None,
          date_to: Any = None, search: str | None = None, data: Any = None) -> Any:
    """Measures matching the CLI's filters, as a pandas DataFrame (one row per measure).

    Each filter takes a value or a list: values of one filter widen, different filters narrow.
    Dates are `datetime.date` or 'YYYY-MM-DD'.
    """
    from .queries import make_filters, measures_sql, check_filters

    con = connect(data)
    filters = make_filters(sector=sector, authority=authority, target=target, type=type,
                           status=status, hs=hs, in_force_on=in_force_on, date_from=date_from,
                           date_to=date_to, search=search)
    check_filters(con, filters)
    sql, params = measures_sql(filters)
    return con.execute(sql, params).df()

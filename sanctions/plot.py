"""The timeline picture: one row per selected measure, grouped by authority, a mark per event and
a bar for each period in force, drawn to SVG or PNG (the optional extra `sanctions[plot]`).

The selection is the one `sanctions query` makes (queries.select and measures_sql); the events come
from the `timeline` view and the periods in force from `status_history`, so the picture shows what
the tables say. matplotlib is imported only when a picture is drawn, on the Agg canvas (never a
display, never pyplot's global state). The same data on the same day gives the same bytes: no date
in the metadata, a fixed hash salt for SVG ids, text kept as text in SVG.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

import duckdb

from .errors import SanctionsError, UsageError
from .filters import Selection
from .queries import measures_sql, select_measures
from .text import escape

#: Output formats, by file suffix.
FORMATS = {".svg": "svg", ".png": "png"}


class MissingExtra(SanctionsError):
    """matplotlib is not installed: the picture needs the extra `sanctions[plot]`. Exit code 1."""

    def __init__(self) -> None:
        super().__init__("sanctions plot needs matplotlib", hint="pip install 'sanctions[plot]'")


#: How each event kind is drawn: label, marker, colour, filled, size (points). Lifecycle order;
#: colours from the Okabe-Ito palette (readable with colour-blindness), shapes differ as well.
MARKS: dict[str, tuple[str, str, str, bool, float]] = {
    "requested": ("requested", "P", "#882255", False, 6.5),
    "considered": ("considered", "o", "#777777", False, 6),
    "threatened": ("threatened", "^", "#E69F00", True, 6.5),
    "announced": ("announced", "s", "#56B4E9", True, 5.5),
    "adopted": ("adopted", "D", "#0072B2", True, 5),
    "published": ("published", "|", "#0072B2", True, 7),
    "in_force": ("in force", "o", "#009E73", True, 6),
    "wind_down_ends": ("wind-down ends", ">", "#B8860B", True, 6),
    "amended": ("amended", "*", "#555555", True, 6.5),
    "suspended": ("suspended", "p", "#CC79A7", True, 6.5),
    "lifted": ("lifted", "X", "#D55E00", True, 7),
    "expired": ("expired", "x", "#000000", True, 6),
}
BAR_COLOUR = "#009E73"
UNDATED_LABEL = "in force, since a date no source gives"

ROW_INCHES = 0.2          # height of one row (a measure or an authority's heading)
FIXED_INCHES = 2.0        # title, legend and date axes
WIDTH_INCHES = 13.0
#: Past this a picture is a wall (and a PNG would pass the 2^16-pixel limit of Agg).
MAX_MEASURES = 2000


@dataclass
class Row:
    """One measure as drawn: its events (date, kind) and its periods in force (start, end or None)."""

    id: str
    authority: str
    events: list[tuple[dt.date, str]] = field(default_factory=list)
    in_force: list[tuple[dt.date, dt.date | None]] = field(default_factory=list)
    undated_in_force: bool = False


def rows(con: duckdb.DuckDBPyConnection, s: Selection) -> list[Row]:
    """The selected measures (as `sanctions query` selects and orders them) with their events and
    periods in force."""
    columns, found = select_measures(con, s)
    at = {c: i for i, c in enumerate(columns)}
    measures = {r[at["id"]]: Row(r[at["id"]], r[at["authority"]],
                                 undated_in_force="in_force" in (r[at["undated_events"]] or [])
                                 and r[at["status"]] == "in_force")
                for r in found}
    if not measures:
        return []
    sql, params = measures_sql(s)
    chosen = f"SELECT id FROM ({sql})"
    for day, kind, measure_id in con.execute(
            f"SELECT DISTINCT t.date, t.kind, t.measure_id FROM timeline t WHERE t.measure_id IN ({chosen})"
            " ORDER BY 3, 1, 2", params).fetchall():
        measures[measure_id].events.append((day, kind))
    for measure_id, start, end in con.execute(
            f"SELECT measure_id, valid_from, valid_to FROM status_history WHERE status = 'in_force'"
            f" AND measure_id IN ({chosen}) ORDER BY 1, 2", params).fetchall():
        measures[measure_id].in_force.append((start, end))
    return list(measures.values())


def authority_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT code, name FROM authorities").fetchall())


def groups(measures: list[Row]) -> list[tuple[str, list[Row]]]:
    """Measures by authority: the largest groups first, then by code; query order within a group."""
    by: dict[str, list[Row]] = {}
    for m in measures:
        by.setdefault(m.authority, []).append(m)
    return sorted(by.items(), key=lambda item: (-len(item[1]), item[0]))


def require_matplotlib() -> Any:
    """matplotlib, or the one-line error that says what to install."""
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
        from matplotlib.figure import Figure  # noqa: F401
    except ImportError:
        raise MissingExtra() from None
    return matplotlib


def draw(measures: list[Row], fmt: str, *, names: dict[str, str] | None = None,
         today: dt.date | None = None, subtitle: str = "") -> bytes:
    """The picture of these measures as SVG or PNG bytes."""
    if fmt not in FORMATS.values():
        raise UsageError(f"unknown picture format '{fmt}'", hint="svg or png")
    matplotlib = require_matplotlib()
    import matplotlib.dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    today = today or dt.date.today()
    names = names or {}
    grouped = groups(measures)
    layout: list[tuple[str, Any]] = []  # ("heading", (code, count)) or ("measure", Row), top to bottom
    for code, members in grouped:
        layout.append(("heading", (code, len(members))))
        layout += [("measure", m) for m in members]

    settings = {"svg.fonttype": "none", "svg.hashsalt": "sanctions-plot", "text.parse_math": False,
                "font.size": 8, "legend.fontsize": 8, "font.family": "sans-serif",
                "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial", "sans-serif"]}
    with matplotlib.rc_context(settings):
        height = FIXED_INCHES + ROW_INCHES * len(layout)
        fig = Figure(figsize=(WIDTH_INCHES, height), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()

        dates = [d for m in measures for d, _ in m.events] + [today]
        first, last = min(dates), max(dates)
        pad = max(dt.timedelta(days=10), (last - first) / 60)
        ax.set_xlim(first - pad, last + pad)
        ax.set_ylim(len(layout) - 0.5, -0.5)
        today_line = dict(color="#888888", linestyle="--", linewidth=0.8)
        ax.axvline(today, zorder=1, **today_line)

        seen: set[str] = set()
        ticks, labels = [], []
        for y, (what, item) in enumerate(layout):
            if what == "heading":
                code, count = item
                name = escape(names.get(code, code))
                ax.axhspan(y - 0.5, y + 0.5, color="#EEEEEE", zorder=0, linewidth=0)
                ax.text(0.004, y, f"{name} ({code}): {count} measure{'s' * (count != 1)}",
                        transform=ax.get_yaxis_transform(), va="center", ha="left",
                        fontweight="bold", fontsize=8.5)
                continue
            m: Row = item
            ticks.append(y)
            labels.append(m.id)
            span = [d for d, _ in m.events]
            for start, end in m.in_force:
                stop = end or max(today, start)
                ax.barh(y, (stop - start).days, left=start, height=0.5, color=BAR_COLOUR, alpha=0.28,
                        linewidth=0, zorder=2)
                span.append(stop)
            if m.undated_in_force:
                span.append(today)
            if span:
                ax.plot([min(span), max(span)], [y, y], color="#BBBBBB", linewidth=0.6, zorder=1.5)
            for rank, kind in enumerate(MARKS):
                days = [d for d, k in m.events if k == kind]
                if not days:
                    continue
                seen.add(kind)
                _, marker, colour, filled, size = MARKS[kind]
                ax.plot(days, [y] * len(days), linestyle="none", marker=marker, markersize=size,
                        markeredgecolor=colour, markerfacecolor=colour if filled else "white",
                        markeredgewidth=1.1, alpha=0.9, zorder=3 + rank / 100)
            if m.undated_in_force:
                ax.plot([today], [y], linestyle="none", marker="o", markersize=6, markeredgecolor=BAR_COLOUR,
                        markerfacecolor="white", markeredgewidth=1.4, zorder=3.5)

        ax.set_yticks(ticks, labels, fontsize=7.5)
        ax.tick_params(axis="y", length=0)
        locator = mdates.AutoDateLocator(minticks=6, maxticks=14)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(  # every label says its year
            locator, formats=["%Y", "%b %Y", "%d %b %Y", "%d %b %Y", "%d %b %Y", "%d %b %Y"],
            show_offset=False))
        ax.tick_params(axis="x", labeltop=True, top=True)
        ax.grid(axis="x", color="#DDDDDD", linewidth=0.6, zorder=0)
        ax.set_axisbelow(True)
        for side in ("left", "right"):
            ax.spines[side].set_visible(False)

        handles = [Line2D([], [], linestyle="none", marker=MARKS[k][1], markersize=MARKS[k][4],
                          markeredgecolor=MARKS[k][2], markeredgewidth=1.1,
                          markerfacecolor=MARKS[k][2] if MARKS[k][3] else "white", label=MARKS[k][0])
                   for k in MARKS if k in seen]
        if any(m.in_force for m in measures):
            handles.append(Patch(color=BAR_COLOUR, alpha=0.28, linewidth=0, label="in force (period)"))
        if any(m.undated_in_force for m in measures):
            handles.append(Line2D([], [], linestyle="none", marker="o", markersize=6,
                                  markeredgecolor=BAR_COLOUR, markerfacecolor="white", markeredgewidth=1.4,
                                  label=UNDATED_LABEL))
        handles.append(Line2D([], [], label=f"today ({today.isoformat()})", **today_line))
        ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), borderaxespad=2.2,
                  ncols=min(len(handles), 7), frameon=False, handletextpad=0.4, columnspacing=1.6)
        count = len(measures)
        title = f"Sanctions measures by authority: {count} measure{'s' * (count != 1)}"
        fig.suptitle(title + (f"  ({escape(subtitle)})" if subtitle else ""), fontsize=11,
                     fontweight="bold")

        out = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {}
        fig.savefig(out, format=fmt, dpi=110, metadata=metadata)
    return out.getvalue()


def picture(con: duckdb.DuckDBPyConnection, s: Selection, fmt: str, *,
            today: dt.date | None = None) -> tuple[bytes, int]:
    """The timeline picture of the selected measures and how many it shows (0: nothing drawn)."""
    require_matplotlib()
    measures = rows(con, s)
    if not measures:
        return b"", 0
    if len(measures) > MAX_MEASURES:
        raise UsageError(f"{len(measures)} measures are too many for one picture (at most {MAX_MEASURES})",
                         hint="narrow the selection with filters, e.g. --authority or --from")
    return draw(measures, fmt, names=authority_names(con), today=today, subtitle=s.describe()), len(measures)

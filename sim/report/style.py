"""One look for every figure and table: palette, sizes, KPI labels and units, number formats.

Figures use matplotlib's object-oriented API on an Agg canvas (no pyplot, no global figure
state, nothing shown on screen) inside :func:`styled`, a ``matplotlib.rc_context`` with this
module's settings, so drawing a report never changes the caller's matplotlib configuration.

Colours are the Okabe–Ito palette (Okabe & Ito 2008), distinguishable with the common forms of
colour-vision deficiency; the program total is always black, heatmaps use ``cividis``. Every
figure is :data:`WIDTH_IN` inches wide at :data:`DPI`, so each PNG is :data:`WIDTH_PX` pixels
wide; heights are fixed per figure, or grow with the number of panels or rows.

KPI names, units and number formats come from the registry, :mod:`sim.model.kpis`;
:func:`kpi_label` adds the unit to a KPI's reader's name, and :data:`DERIVED` describes the
measures the report derives from KPIs (the scorecard's violations per 1,000).
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import textwrap
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, cast

import matplotlib
from cycler import cycler
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.model.kpis import Direction, Group, Kpi, Unit, lookup
from sim.model.results import TOTAL

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000")
PALETTE = OKABE_ITO[:7]  # black is kept for the program total
TOTAL_COLOUR = "#000000"
MISSING_COLOUR = "#D9D9D9"
HEATMAP = "cividis"
DPI = 150
WIDTH_IN = 8.0
WIDTH_PX = round(WIDTH_IN * DPI)
BAND_ALPHA = 0.18
NOTE_CHARS_PER_INCH = 15  # 8-point grey notes under a figure's title wrap at this width

RC: dict[str, Any] = {
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "figure.titlesize": 11.5,
    "figure.titleweight": "bold",
    "savefig.dpi": DPI,
    "savefig.facecolor": "white",
    "figure.facecolor": "white",
    "svg.fonttype": "none",
    "axes.prop_cycle": cycler(color=list(PALETTE)),
}

Target = Path | IO[bytes]

# --------------------------------------------------------------------------- figures


@contextlib.contextmanager
def styled() -> Iterator[None]:
    """Apply the house style for the duration of the block."""
    with matplotlib.rc_context(cast(Any, RC)):
        yield


def new_figure(height_in: float, width_in: float = WIDTH_IN) -> Figure:
    """A figure on an Agg canvas (no pyplot), :data:`WIDTH_IN` wide by default."""
    fig = Figure(figsize=(width_in, height_in), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def save(fig: Figure, target: Target) -> None:
    """Write ``fig`` as PNG to a path or binary file object at :data:`DPI` (exact pixel size)."""
    fig.savefig(target, format="png", dpi=DPI)


def readable(path: Path) -> None:
    """Give a (temporary) file the permissions a new file gets under the umask."""
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(0o666 & ~umask)


def heading(fig: Figure, title: str, note: str = "") -> float:
    """Put ``title`` (bold) and a grey ``note`` line at the top left of ``fig``; return the
    top of the area left for the axes, as a figure fraction for ``tight_layout(rect=...)``."""
    height = float(fig.get_figheight())
    fig.suptitle(title, x=0.012, y=1 - 0.08 / height, ha="left", va="top")
    width = int(NOTE_CHARS_PER_INCH * float(fig.get_figwidth()))
    note = "\n".join(textwrap.fill(line, width) for line in note.split("\n")) if note else ""
    lines = note.count("\n") + 1 if note else 0
    if note:
        fig.text(0.012, 1 - 0.34 / height, note, ha="left", va="top", fontsize=8,
                 color="#555555", linespacing=1.4)
    return 1 - (0.28 + 0.16 * lines) / height


def colours(names: Iterable[str]) -> dict[str, str]:
    """A stable colour per name: the palette in order, black for ``total``."""
    result: dict[str, str] = {}
    k = 0
    for name in names:
        if name in result:
            continue
        if name == TOTAL:
            result[name] = TOTAL_COLOUR
        else:
            result[name] = PALETTE[k % len(PALETTE)]
            k += 1
    return result


def ordered(names: Iterable[str]) -> list[str]:
    """Names in first-seen order with ``total`` last."""
    unique = list(dict.fromkeys(str(n) for n in names))
    return [n for n in unique if n != TOTAL] + ([TOTAL] if TOTAL in unique else [])


# --------------------------------------------------------------------------- KPI labels

# Measures the report derives from the KPIs (the scorecard's): not columns of the results.
DERIVED: dict[str, Kpi] = {
    "violations_per_1000": Kpi("violations_per_1000", "rule violations per 1,000 accounts",
                               Unit.PER_1000, Direction.LOWER, Group.ALSO,
                               "violations per 1,000 accounts", headline=False),
}

UNITS = {Unit.SHARE: "%", Unit.POINTS: "percentage points", Unit.MONEY: "currency units",
         Unit.PER_1000: "per 1,000 accounts", Unit.DAYS: "days",
         Unit.INDEX: "0–100, higher is better", Unit.COUNT: "count",
         Unit.PER_COLLECTOR_HOUR: "per collector-hour"}


def kpi_entry(metric: str) -> Kpi:
    """The registry entry of ``metric`` (:mod:`sim.model.kpis`), or of a derived measure."""
    return DERIVED.get(metric) or lookup(metric)


def kpi_label(metric: str, unit: bool = True) -> str:
    """A reader's name for ``metric``, with its unit in brackets unless ``unit`` is false."""
    entry = kpi_entry(metric)
    if not unit or (entry.unit is Unit.PER_1000 and "1,000" in entry.label):
        return entry.label
    return f"{entry.label} ({UNITS[entry.unit]})"


def kpi_doc(metric: str) -> str:
    """The one-line definition of a KPI, or ``""``."""
    return kpi_entry(metric).definition


def format_value(metric: str, value: Any, averaged: bool = False) -> str:
    """``value`` of ``metric`` for reading (:meth:`sim.model.kpis.Kpi.format`)."""
    return kpi_entry(metric).format(value, averaged)


def format_interval(metric: str, mean: Any, ci95: Any, averaged: bool = True) -> str:
    """``mean ±half-width`` (:meth:`sim.model.kpis.Kpi.format_interval`)."""
    return kpi_entry(metric).format_interval(mean, ci95, averaged)


def format_half(metric: str, half: Any) -> str:
    """``±half-width`` of a mean or difference (:meth:`sim.model.kpis.Kpi.format_half`)."""
    return kpi_entry(metric).format_half(half)


def format_difference(metric: str, diff: Any, ci95: Any) -> str:
    """A signed difference ``±half-width`` (:meth:`sim.model.kpis.Kpi.format_difference`)."""
    return kpi_entry(metric).format_difference(diff, ci95)


def natural_bounds(metric: str) -> tuple[float, float]:
    """The range a KPI can take (for clipping interval bands): shares and counts are never
    negative, the CX index is at most 100; money and netback may be negative."""
    unit = kpi_entry(metric).unit
    if unit in (Unit.MONEY, Unit.POINTS) or metric == "netback_rate":
        return (-math.inf, math.inf)
    if unit is Unit.INDEX:
        return (0.0, 100.0)
    if unit is Unit.SHARE:
        return (0.0, 1.0)
    return (0.0, math.inf)


def axis_formatter(metric: str) -> FuncFormatter:
    """Tick labels for an axis showing ``metric``."""
    unit = kpi_entry(metric).unit
    if unit is Unit.SHARE:
        return FuncFormatter(lambda v, _: _percent_tick(v))
    if unit is Unit.POINTS:
        return FuncFormatter(lambda v, _: f"{100 * v:+.1f} pp")
    if unit is Unit.MONEY:
        return FuncFormatter(lambda v, _: compact_money(v))
    return FuncFormatter(lambda v, _: f"{v:,.4g}")


def _percent_tick(value: float) -> str:
    text = f"{100 * value:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def compact_money(value: float) -> str:
    """``1.2M``, ``350k``, ``900``."""
    size = abs(value)
    if size >= 1e9:
        return f"{value / 1e9:.3g}bn"
    if size >= 1e6:
        return f"{value / 1e6:.3g}M"
    if size >= 1e3:
        return f"{value / 1e3:.3g}k"
    return f"{value:.3g}"


def short(text: str, limit: int = 28) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: str) -> str:
    """``text`` with runs of white space (newlines included) as single spaces."""
    return re.sub(r"\s+", " ", str(text)).strip()

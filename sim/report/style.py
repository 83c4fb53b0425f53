"""One look for every figure and table: palette, sizes, KPI labels and units, number formats.

Figures use matplotlib's object-oriented API on an Agg canvas (no pyplot, no global figure
state, nothing shown on screen) inside :func:`styled`, a ``matplotlib.rc_context`` with this
module's settings, so drawing a report never changes the caller's matplotlib configuration.

Colours are the Okabe–Ito palette (Okabe & Ito 2008), distinguishable with the common forms of
colour-vision deficiency; the program total is always black, heatmaps use ``cividis``. Every
figure is :data:`WIDTH_IN` inches wide at :data:`DPI`, so each PNG is :data:`WIDTH_PX` pixels
wide; heights are fixed per figure, or grow with the number of panels or rows.

KPI labels, units and formats live here once, for the figures and the HTML report alike:
:func:`kpi_label` (a reader's name with its unit), :func:`kpi_kind` (percent, money, count,
index, days, rate per 1,000) and :func:`format_value` / :func:`format_interval`.
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

from sim.model.results import EXTRA_KPIS, KPI_DOCS, MONEY_KPIS, TOTAL

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


# --------------------------------------------------------------------------- KPI units

PERCENT_KPIS = frozenset({
    "recovery_rate", "netback_rate", "rpc_rate", "contact_rate", "ptp_rate", "ptp_kept_rate",
    "paid_in_full_share", "settled_share", "collector_utilization", "inbound_abandon_rate",
    "delinquent_share_end", "redefault_rate", "self_cure_share", "never_attempted_share",
    "breathing_space_share", "delinquent_share_follow_up", "cost_to_collect",
    "recovery_to_date", "delinquent_share"})
PER_1000_KPIS = frozenset({"complaints_per_1000", "disputes_per_1000"})
DAY_KPIS = frozenset({"mean_days_to_first_attempt", "mean_days_to_first_rpc",
                      "days_behind_target"})
INDEX_KPIS = frozenset({"cx_index"})

LABELS: dict[str, str] = {
    "accounts": "accounts placed",
    "balance_placed": "balance placed",
    "collected": "collected",
    "recovery_rate": "recovery rate",
    "commission": "commission",
    "contact_cost": "contact cost (bank)",
    "net_recovery": "net recovery",
    "netback_rate": "netback rate",
    "waived": "waived",
    "outstanding_at_recall": "outstanding at recall",
    "on_plan_at_recall": "on a plan at recall",
    "rpc_rate": "right-party contact rate",
    "contact_rate": "accounts reached",
    "ptp_rate": "promise rate",
    "ptp_kept_rate": "promises kept",
    "paid_in_full_share": "paid in full",
    "settled_share": "settled",
    "mean_days_to_first_attempt": "days to first call",
    "mean_days_to_first_rpc": "days to first conversation",
    "complaints_per_1000": "complaints per 1,000 accounts",
    "disputes_per_1000": "disputes per 1,000 accounts",
    "rule_violations": "rule violations",
    "lawsuits": "lawsuits",
    "cx_index": "customer-experience index",
    "collector_utilization": "collector utilisation",
    "inbound_abandon_rate": "inbound abandonment",
    "delinquent_share_end": "still delinquent at recall",
    "redefault_rate": "re-default rate",
    "cost_to_collect": "cost to collect",
}

# Sections of the KPI tables, in reading order (KPIs not listed go under "Other").
KPI_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Money", ("accounts", "balance_placed", "collected", "recovery_rate", "commission",
               "contact_cost", "net_recovery", "netback_rate", "waived",
               "outstanding_at_recall")),
    ("Outcomes", ("paid_in_full_share", "settled_share", "on_plan_at_recall",
                  "delinquent_share_end", "redefault_rate")),
    ("Contact and promises", ("contact_rate", "rpc_rate", "ptp_rate", "ptp_kept_rate",
                              "mean_days_to_first_attempt", "mean_days_to_first_rpc")),
    ("Customers and conduct", ("complaints_per_1000", "disputes_per_1000", "rule_violations",
                               "lawsuits", "cx_index")),
    ("Operations", ("collector_utilization", "inbound_abandon_rate")),
    ("Also reported", tuple(EXTRA_KPIS)),
)


def kpi_kind(metric: str) -> str:
    """``percent``, ``money``, ``per1000``, ``days``, ``index`` or ``count``."""
    if metric in PERCENT_KPIS or metric.endswith(("_rate", "_share")):
        return "percent"
    if metric in MONEY_KPIS:
        return "money"
    if metric in PER_1000_KPIS:
        return "per1000"
    if metric in DAY_KPIS:
        return "days"
    if metric in INDEX_KPIS:
        return "index"
    return "count"


UNITS = {"percent": "%", "money": "currency units", "per1000": "per 1,000 accounts",
         "days": "days", "index": "0–100, higher is better", "count": "count"}


def kpi_label(metric: str, unit: bool = True) -> str:
    """A reader's name for ``metric``, with its unit in brackets unless ``unit`` is false."""
    name = LABELS.get(metric, metric.replace("_", " "))
    if not unit:
        return name
    kind = kpi_kind(metric)
    if kind == "percent":
        return f"{name} (%)"
    if kind == "per1000":
        return name if "1,000" in name else f"{name} ({UNITS[kind]})"
    return f"{name} ({UNITS[kind]})"


def kpi_doc(metric: str) -> str:
    """The one-line definition of a KPI (from :mod:`sim.model.results`), or ``""``."""
    if metric == "cost_to_collect":
        return "(commission + contact cost) / collected"
    return KPI_DOCS.get(metric) or EXTRA_KPIS.get(metric, "")


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _digits(metric: str, number: float) -> int:
    """Decimals shown for ``number`` (in percent for percentages)."""
    kind = kpi_kind(metric)
    size = abs(number)
    if kind == "percent":
        return 1 if 100 * size >= 0.1 or size == 0 else 3
    if kind == "money" or size >= 1000:
        return 0
    if kind in ("per1000", "days", "index"):
        return 1
    if number.is_integer():
        return 0
    return 2 if size < 100 else 1


def format_value(metric: str, value: Any) -> str:
    """``value`` of ``metric`` for reading: ``12.3%``, ``1,234,567``, ``4.2``, ``–``."""
    if not _finite(value):
        return "–"
    number = float(value)
    digits = _digits(metric, number)
    if kpi_kind(metric) == "percent":
        return f"{100 * number:.{digits}f}%"
    return f"{number:,.{digits}f}"


def format_interval(metric: str, mean: Any, ci95: Any) -> str:
    """``mean ±half-width`` in the metric's units (percentage points for percentages), the
    half-width with as many decimals as the mean."""
    text = format_value(metric, mean)
    if not _finite(mean) or not _finite(ci95):
        return text
    half = abs(float(ci95))
    digits = _digits(metric, float(mean))
    if kpi_kind(metric) == "percent":
        return f"{text} ±{100 * half:.{digits}f}"
    if kpi_kind(metric) == "count" and digits == 0 and 0 < half < 10:
        digits = 1
    return f"{text} ±{half:,.{digits}f}"


def format_difference(metric: str, diff: Any, ci95: Any) -> str:
    """A signed difference ``±half-width``: percentage points (``pp``) for percentages."""
    if not _finite(diff):
        return "–"
    number = float(diff)
    half = abs(float(ci95)) if _finite(ci95) else None
    if kpi_kind(metric) == "percent":
        digits = 2 if abs(100 * number) < 10 else 1
        text = f"{100 * number:+.{digits}f} pp"
        return text + (f" ±{100 * half:.{digits}f}" if half is not None else "")
    digits = _digits(metric, number)
    if kpi_kind(metric) == "count" and digits == 0 and abs(number) < 10:
        digits = 1
    text = f"{number:+,.{digits}f}"
    return text + (f" ±{half:,.{digits}f}" if half is not None else "")


def natural_bounds(metric: str) -> tuple[float, float]:
    """The range a KPI can take (for clipping interval bands): shares and counts are never
    negative, the CX index is at most 100; money and netback may be negative."""
    if metric in MONEY_KPIS or metric == "netback_rate":
        return (-math.inf, math.inf)
    if metric == "cx_index":
        return (0.0, 100.0)
    if kpi_kind(metric) == "percent":
        return (0.0, 1.0)
    return (0.0, math.inf)


def axis_formatter(metric: str) -> FuncFormatter:
    """Tick labels for an axis showing ``metric``."""
    kind = kpi_kind(metric)
    if kind == "percent":
        return FuncFormatter(lambda v, _: _percent_tick(v))
    if kind == "money":
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

"""Charts of a questionnaire, drawn on the server: SVG for the admin, PNG for workbooks.

Matplotlib without pyplot (a :class:`~matplotlib.figure.Figure` per chart, the Agg
renderer), so that a web process keeps no global figure state. Output is
deterministic (fixed SVG hash salt, no dates in the metadata): the same data give
the same bytes, which keeps tests and caches honest. Text is in the active language;
Chinese labels fall back to Noto Sans CJK when it is installed (``fonts-noto-cjk``).
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from io import BytesIO

import matplotlib
import matplotlib.dates
import numpy as np
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from PIL import Image

from surveys.models import Dispatch, Questionnaire, Response

FORMATS = {"svg": "image/svg+xml", "png": "image/png"}
PNG_DPI = 200

GREY = "#9e9e9e"
DARK = "#404040"
INK = "#212121"
ACCENT = "#1f5f99"  # UN blue, darkened enough for text on white

# Tried in order for each glyph (matplotlib >= 3.6 falls back per character).
FONT_CANDIDATES = ["DejaVu Sans", "Noto Sans CJK SC", "Noto Sans CJK JP"]

# rcParams are process-global: one chart is drawn at a time, inside its own settings.
_RENDER_LOCK = threading.Lock()


@cache
def font_families() -> list[str]:
    """The candidate fonts that are installed (DejaVu Sans ships with matplotlib)."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return [name for name in FONT_CANDIDATES if name in installed] or ["DejaVu Sans"]


def style() -> dict:
    return {
        "font.family": font_families(),
        "font.size": 8,
        "axes.edgecolor": DARK,
        "axes.labelcolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
        "text.color": INK,
        "svg.hashsalt": "inquiry",
        "svg.fonttype": "path",  # the viewer needs no font
        "path.simplify": True,
        "text.parse_math": False,  # "US$ 5 million" in a label is text, not TeX
    }


def render(build: Callable[[], Figure], fmt: str = "svg") -> bytes:
    """Draw the figure ``build`` returns, as SVG or PNG bytes, deterministically."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}: use 'svg' or 'png'.")
    with _RENDER_LOCK, matplotlib.rc_context(style()):
        figure = build()
        canvas = FigureCanvasAgg(figure)  # the Agg renderer, whatever pyplot would pick
        if fmt == "png":
            figure.set_dpi(PNG_DPI)
            canvas.draw()
            return _palette_png(np.asarray(canvas.buffer_rgba()))
        buffer = BytesIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None}, facecolor="white")
    return _compact_svg(buffer.getvalue())


_PATH_DATA = re.compile(rb' d="([^"]*)"')
_LONG_DECIMALS = re.compile(rb"(\.\d)\d+")


def _compact_svg(data: bytes) -> bytes:
    """Path coordinates to a tenth of a point, on one line (matplotlib writes six decimals
    and a line per point): the map's SVG is half the size, with no visible change."""
    def compact(match):
        return b' d="' + _LONG_DECIMALS.sub(rb"\1", match.group(1)).replace(b" \n", b" ") + b'"'
    return _PATH_DATA.sub(compact, data)


def _palette_png(rgba: np.ndarray) -> bytes:
    """The drawn pixels as a PNG with a 256-colour palette: a third of the size of a
    full-colour PNG, with no visible change for charts of a few flat colours (it
    matters inside workbooks sent by e-mail). No metadata: same pixels, same bytes."""
    out = BytesIO()
    # Fast octree quantization and zlib level 6: a fifth of the time of the defaults
    # (median cut, level 9), and a smaller file.
    palette = Image.fromarray(rgba).convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE)
    palette.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def day_label(day: dt.date) -> str:
    """A date as a report writes it, in the active language: "30 June 2008"."""
    return date_format(day, "j F Y")


# --- replies over time -----------------------------------------------------------------


@dataclass
class Marker:
    day: dt.date
    label: str
    kind: str  # sent, reminder, deadline, cutoff, map


@dataclass
class Timeline:
    """Cumulative replies by day received, and the dates a reader needs beside them."""

    days: list[dt.date] = field(default_factory=list)
    cumulative: list[int] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.cumulative[-1] if self.cumulative else 0

    def count_by(self, day: dt.date) -> int:
        """Replies received by the end of ``day``."""
        count = 0
        for when, total in zip(self.days, self.cumulative, strict=True):
            if when > day:
                break
            count = total
        return count


def timeline_series(*, questionnaire: Questionnaire,
                    map_date: dt.date | None = None) -> Timeline:
    """Every submitted reply counted on the day it was received (two queries)."""
    received = []
    for received_on, submitted_at in (
            Response.objects.filter(recipient__questionnaire=questionnaire,
                                    status=Response.Status.SUBMITTED)
            .values_list("received_on", "submitted_at")):
        day = received_on or (timezone.localdate(submitted_at) if submitted_at else None)
        if day is not None:
            received.append(day)
    received.sort()
    timeline = Timeline()
    for day in received:
        if timeline.days and timeline.days[-1] == day:
            timeline.cumulative[-1] += 1
        else:
            timeline.days.append(day)
            timeline.cumulative.append((timeline.cumulative[-1] if timeline.cumulative else 0)
                                       + 1)

    waves = (Dispatch.objects.filter(questionnaire=questionnaire, sent_on__isnull=False,
                                     kind__in=[Dispatch.Kind.INVITATION, Dispatch.Kind.REMINDER])
             .order_by("sent_on").values_list("kind", "sent_on"))
    sent_on = questionnaire.sent_on
    reminders: list[dt.date] = []
    for kind, when in waves:
        day = timezone.localdate(when)
        if kind == Dispatch.Kind.INVITATION:
            sent_on = sent_on or day
        elif day not in reminders:
            reminders.append(day)
    markers = []
    if sent_on:
        markers.append(Marker(sent_on, _("Sent"), "sent"))
    for number, day in enumerate(reminders, start=1):
        markers.append(Marker(day, _("Reminder %(n)d") % {"n": number}, "reminder"))
    if questionnaire.deadline:
        markers.append(Marker(questionnaire.deadline, _("Deadline"), "deadline"))
    if map_date:
        markers.append(Marker(map_date, _("Map date"), "map"))
    if questionnaire.cutoff:
        markers.append(Marker(questionnaire.cutoff, _("Report cut-off"), "cutoff"))
    timeline.markers = sorted(markers, key=lambda m: m.day)
    return timeline


MARKER_STYLE = {
    "sent": {"color": DARK, "linestyle": "-"},
    "reminder": {"color": GREY, "linestyle": ":"},
    "deadline": {"color": "#b71c1c", "linestyle": "--"},
    "map": {"color": ACCENT, "linestyle": "-."},
    "cutoff": {"color": INK, "linestyle": "--"},
}


def replies_timeline(*, questionnaire: Questionnaire, fmt: str = "svg",
                     map_date: dt.date | None = None) -> bytes:
    """Cumulative replies over time, with the sending, reminders, deadline and cut-off."""
    series = timeline_series(questionnaire=questionnaire, map_date=map_date)
    title = _("Replies received over time")
    subtitle = _("Cumulative number of States that had replied, by the date each reply was "
                 "received (%(n)d in all)") % {"n": series.total}

    def build() -> Figure:
        width, axes_box = 9.0, (0.07, 0.12, 0.9, 0.7)
        figure = Figure(figsize=(width, 4.4))
        axes = figure.add_axes(axes_box)
        days, counts = list(series.days), list(series.cumulative)
        marker_days = [m.day for m in series.markers]
        start = min([*days, *marker_days], default=timezone.localdate())
        end = max([*days, *marker_days], default=start)
        start, end = start - dt.timedelta(days=3), end + dt.timedelta(days=5)
        xs = [start, *days, end]
        ys = [0, *counts, counts[-1] if counts else 0]
        axes.step(xs, ys, where="post", color=INK, linewidth=1.6)
        axes.fill_between(xs, ys, step="post", color=GREY, alpha=0.25, linewidth=0)
        axes.set_xlim(start, end)

        # Marker labels are written level, in rows above the curve: a label moves down a
        # row when it would run into the one before (reminders close to the deadline).
        points_per_day = width * axes_box[2] * 72 / max((end - start).days, 1)
        row_ends: list[float] = []
        placed = []
        for marker in series.markers:
            text = f"{marker.label}\n{date_format(marker.day, 'j M')}"
            span = (max(len(line) for line in text.splitlines()) * 6.5 * 0.6 + 8) / \
                points_per_day
            x = (marker.day - start).days
            right_side = x + span > (end - start).days
            left, right = (x - span, x) if right_side else (x, x + span)
            row = next((i for i, last in enumerate(row_ends) if left > last), len(row_ends))
            if row == len(row_ends):
                row_ends.append(right)
            row_ends[row] = right
            placed.append((marker, text, row, right_side))
        rows = max(len(row_ends), 1)
        top = max(ys[-1], 1)
        axes.set_ylim(0, top * (1.08 + 0.16 * rows) + 1)
        for marker, text, row, right_side in placed:
            style_ = MARKER_STYLE[marker.kind]
            axes.axvline(marker.day, linewidth=0.9, **style_)
            axes.annotate(text, xy=(marker.day, 1 - 0.02 - 0.13 * row),
                          xycoords=("data", "axes fraction"), xytext=(-3 if right_side else 3, 0),
                          textcoords="offset points", ha="right" if right_side else "left",
                          va="top", fontsize=6.5, color=style_["color"],
                          bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6})
            if marker.kind in ("deadline", "cutoff", "map"):
                count = series.count_by(marker.day)
                axes.plot([marker.day], [count], marker="o", markersize=3.5, color=INK)
                axes.annotate(str(count), xy=(marker.day, count), xytext=(-4, 4),
                              textcoords="offset points", ha="right", fontsize=7.5,
                              fontweight="bold",
                              bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.4})
        ticks = MaxNLocator(integer=True, nbins=6).tick_values(0, top)
        axes.set_yticks([t for t in ticks if 0 <= t <= top * 1.1 + 1])
        axes.xaxis.set_major_formatter(FuncFormatter(
            lambda value, _pos: date_format(matplotlib.dates.num2date(value).date(), "j M")))
        axes.set_ylabel(_("States"))
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        axes.grid(axis="y", color="#e0e0e0", linewidth=0.6)
        axes.set_axisbelow(True)
        figure.text(0.07, 0.96, title, fontsize=11, fontweight="bold", va="top")
        figure.text(0.07, 0.9, subtitle, fontsize=8, va="top", color=DARK)
        return figure

    return render(build, fmt)


# --- views --------------------------------------------------------------------------------


def views_bar(*, questionnaire: Questionnaire, as_of: dt.date | None = None,
              fmt: str = "svg") -> bytes:
    """How many replying States hold each view, as horizontal bars labelled "n of base"."""
    from analysis import tallies  # the tallies module reads surveys; imported when drawn

    table = tallies.code_tally(questionnaire=questionnaire, as_of=as_of)
    rows = list(table[["label", "count", "respondents"]].itertuples(index=False, name=None))
    base = int(rows[0][2]) if rows else 0
    title = _("Views expressed by the States that replied")

    def build() -> Figure:
        height = 1.6 + 0.32 * max(len(rows), 1)
        figure = Figure(figsize=(9, height))
        bottom, top = 0.6 / height, 1 - 0.85 / height
        axes = figure.add_axes((0.36, bottom, 0.55, top - bottom))
        labels = [textwrap.fill(str(label), 48) for label, _c, _b in rows]
        counts = [int(count) for _l, count, _b in rows]
        positions = list(range(len(rows)))
        axes.barh(positions, counts, color=GREY, edgecolor=DARK, linewidth=0.5, height=0.65)
        axes.set_yticks(positions, labels, fontsize=7.5)
        axes.invert_yaxis()
        most = max([*counts, 1])
        axes.set_xlim(0, most * 1.25)
        for y, (count, (_l, _c, of)) in enumerate(zip(counts, rows, strict=True)):
            axes.annotate(_("%(count)d of %(base)d") % {"count": count, "base": int(of)},
                          xy=(count, y), xytext=(3, 0), textcoords="offset points",
                          va="center", fontsize=7.5)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel(_("States"))
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        if not rows:
            axes.set_yticks([])
            axes.text(0.5, 0.5, _("No codebook yet."), transform=axes.transAxes, ha="center")
        figure.text(0.02, 1 - 0.2 / height, title, fontsize=11, fontweight="bold", va="top")
        figure.text(0.02, 1 - 0.48 / height,
                    _("Out of %(base)d States that had replied") % {"base": base},
                    fontsize=8, va="top", color=DARK)
        return figure

    return render(build, fmt)

"""The replies map: the States that had replied by a date in grey, the others white.

The figure of A/63/269 (2008) is a world map with the States whose replies arrived by
30 June 2008 in grey. This module draws the same figure for any questionnaire and
date, from ``fixtures/world-map.json`` (projected, simplified geometry built once by
``scripts/build_map.py``; the application never reads the atlas itself). Small
island developing States and other States too small to see at world scale are also
drawn as a dot at their position, in the colour of their answer, so that a reader
can tell whether Tuvalu or Nauru replied.

Each State's shape carries the SVG id ``m49-<code>`` (and its dot ``m49-<code>-dot``),
so the figure can be checked, styled or linked State by State.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath

from analysis import tallies
from analysis.charts import DARK, GREY, day_label, render
from surveys.models import Questionnaire

MAP_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "world-map.json"

REPLIED = GREY
NO_REPLY = "#ffffff"
NOT_ASKED = "#e6e6e6"  # territories, and States not sent the questionnaire
BORDER = DARK
BORDER_WIDTH = 0.3
DOT_SIZE = 3.0  # points

# A State smaller than this is also drawn as a dot: at report scale (16 cm wide) it is
# well under a square millimetre, too small to tell grey from white.
DOT_BELOW_KM2 = 15_000

# The United Nations map disclaimer, which every UN report map carries.
DISCLAIMER = gettext_noop(
    "The boundaries and names shown and the designations used on this map do not imply "
    "official endorsement or acceptance by the United Nations.")


@dataclass(frozen=True)
class MapShape:
    """One State or territory on the map: its outline (if any) and its dot (if any)."""

    m49: int | None
    name: str
    path: MplPath | None
    dot: tuple[float, float] | None
    area_km2: int | None = None
    sids: bool = False

    @property
    def draws_dot(self) -> bool:
        """SIDS and small States get a dot; large SIDS (Cuba, Papua New Guinea) do not."""
        if self.dot is None:
            return False
        return self.path is None or (self.area_km2 or 0) < DOT_BELOW_KM2


@dataclass(frozen=True)
class WorldMap:
    states: dict[int, MapShape]
    territories: tuple[MapShape, ...]
    bounds: tuple[float, float, float, float]  # xmin, xmax, ymin, ymax


def _path(rings: list[list[int]], quantum: float) -> MplPath | None:
    """Rings of [x0, y0, dx1, dy1, ...] as one compound path (holes included)."""
    vertices, codes = [], []
    for ring in rings:
        points = np.cumsum(np.asarray(ring, dtype=float).reshape(-1, 2), axis=0) * quantum
        vertices.extend([*points, points[0]])
        codes.extend([MplPath.MOVETO] + [MplPath.LINETO] * (len(points) - 1)
                     + [MplPath.CLOSEPOLY])
    return MplPath(np.array(vertices), codes) if vertices else None


@cache
def world_map(path: Path = MAP_FIXTURE) -> WorldMap:
    """The map geometry, read once per process."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    quantum = data["quantum"]

    def shape(item) -> MapShape:
        dot = item.get("dot")
        return MapShape(
            m49=item.get("m49"), name=item["name"], path=_path(item["rings"], quantum),
            dot=(dot[0] * quantum, dot[1] * quantum) if dot else None,
            area_km2=item.get("area_km2"), sids=item.get("sids", False))

    states = {item["m49"]: shape(item) for item in data["states"]}
    territories = tuple(shape(item) for item in data["territories"])
    extents = [s.path.get_extents() for s in (*states.values(), *territories) if s.path]
    dots = [s.dot for s in states.values() if s.dot]
    xmin = min([e.x0 for e in extents] + [d[0] for d in dots])
    xmax = max([e.x1 for e in extents] + [d[0] for d in dots])
    ymin = min([e.y0 for e in extents] + [d[1] for d in dots])
    ymax = max([e.y1 for e in extents] + [d[1] for d in dots])
    return WorldMap(states=states, territories=territories, bounds=(xmin, xmax, ymin, ymax))


# --- who is shaded -----------------------------------------------------------------------


@dataclass(frozen=True)
class MapGroups:
    replied: frozenset[int]
    no_reply: frozenset[int]  # asked, no reply by the date


def map_groups(*, questionnaire: Questionnaire, as_of: dt.date | None = None) -> MapGroups:
    """The M49 codes of the States that had replied by ``as_of``, and of those asked
    that had not (one query). Without a date, the report's cut-off (or today).

    Replies count exactly as the tallies count them, so the map and the report's
    figures always agree.
    """
    frame = tallies.recipients(questionnaire=questionnaire, as_of=as_of)
    replied = frozenset(int(m49) for m49 in frame.loc[frame["replied"], "m49"])
    asked = frozenset(int(m49) for m49 in frame["m49"])
    return MapGroups(replied=replied, no_reply=asked - replied)


def map_states(*, questionnaire: Questionnaire, as_of: dt.date | None = None) -> frozenset[int]:
    """The M49 codes the map shades grey: the States that had replied by ``as_of``."""
    return map_groups(questionnaire=questionnaire, as_of=as_of).replied


# --- drawing -----------------------------------------------------------------------------


def fill_of(m49: int, groups: MapGroups) -> str:
    if m49 in groups.replied:
        return REPLIED
    if m49 in groups.no_reply:
        return NO_REPLY
    return NOT_ASKED


def replies_map(*, questionnaire: Questionnaire, as_of: dt.date | None = None,
                fmt: str = "svg") -> bytes:
    """The world map of the States that had replied by ``as_of``, as SVG or PNG bytes."""
    as_of = tallies.tally_date(questionnaire=questionnaire, as_of=as_of)
    groups = map_groups(questionnaire=questionnaire, as_of=as_of)
    geometry = world_map()
    day = day_label(as_of)
    title = _("States that had replied to the questionnaire by %(date)s") % {"date": day}
    subtitle = questionnaire.title_text()
    every_state_asked = not (set(geometry.states) - groups.replied - groups.no_reply)

    def build() -> Figure:
        xmin, xmax, ymin, ymax = geometry.bounds
        pad = 0.02
        width, map_width = 10.0, 9.8
        map_height = map_width * (ymax - ymin + 2 * pad) / (xmax - xmin + 2 * pad)
        top_space, bottom_space = 0.75, 0.85
        height = map_height + top_space + bottom_space
        figure = Figure(figsize=(width, height))
        axes = figure.add_axes(((width - map_width) / 2 / width, bottom_space / height,
                                map_width / width, map_height / height))
        axes.set_xlim(xmin - pad, xmax + pad)
        axes.set_ylim(ymin - pad, ymax + pad)
        axes.set_aspect("equal")
        axes.set_axis_off()

        for shape in geometry.territories:
            if shape.path is not None:
                # add_artist, not add_patch: the limits are set above, and working them
                # out from every outline would take longer than drawing it.
                axes.add_artist(PathPatch(shape.path, facecolor=NOT_ASKED, edgecolor=GREY,
                                          linewidth=BORDER_WIDTH, zorder=1))
        for m49, shape in sorted(geometry.states.items()):
            if shape.path is None:
                continue
            patch = PathPatch(shape.path, facecolor=fill_of(m49, groups), edgecolor=BORDER,
                              linewidth=BORDER_WIDTH, zorder=2)
            patch.set_gid(f"m49-{m49}")
            axes.add_artist(patch)
        for m49, shape in sorted(geometry.states.items()):
            if not shape.draws_dot:
                continue
            fill = fill_of(m49, groups)
            axes.add_artist(Line2D([shape.dot[0]], [shape.dot[1]], marker="o",
                                   markersize=DOT_SIZE, markerfacecolor=fill,
                                   markeredgecolor=BORDER, markeredgewidth=0.5,
                                   linestyle="none", zorder=3, gid=f"m49-{m49}-dot"))

        def swatch(color, edge=BORDER):
            return Rectangle((0, 0), 1, 1, facecolor=color, edgecolor=edge, linewidth=0.6)

        def dot(color):
            return Line2D([], [], marker="o", markersize=DOT_SIZE + 1, markerfacecolor=color,
                          markeredgecolor=BORDER, markeredgewidth=0.6, linestyle="none")

        handles = [swatch(REPLIED), swatch(NO_REPLY)]
        labels = [_("Replies received by %(date)s (%(n)d)") % {"date": day,
                                                              "n": len(groups.replied)},
                  _("No reply (%(n)d)") % {"n": len(groups.no_reply)}]
        handles.append(swatch(NOT_ASKED, GREY))
        labels.append(_("Other territories") if every_state_asked
                      else _("Not sent the questionnaire; other territories"))
        handles.append((dot(REPLIED), dot(NO_REPLY)))
        labels.append(_("Small States, shown by a dot"))
        figure.legend(handles, labels, loc="lower center", ncol=2, frameon=False,
                      bbox_to_anchor=(0.5, 0.32 / height), fontsize=8, handlelength=2.2,
                      columnspacing=2.5, handler_map={tuple: HandlerTuple(ndivide=None)})
        figure.text(0.5, 1 - 0.18 / height, title, ha="center", va="top", fontsize=12,
                    fontweight="bold")
        figure.text(0.5, 1 - 0.46 / height, textwrap.shorten(subtitle, 140), ha="center",
                    va="top", fontsize=8.5, color=DARK)
        figure.text(0.5, 0.1 / height, _(DISCLAIMER), ha="center", va="bottom", fontsize=6.5,
                    color=DARK, style="italic")
        return figure

    return render(build, fmt)

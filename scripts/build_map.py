"""Build ``fixtures/world-map.json`` (the replies map's geometry) from ``../shared/data``.

Run it again when the atlas or the registry changes::

    python scripts/build_map.py [--source ../shared/data/world-atlas] [--tolerance 0.0008]

The running application never reads ``../shared``: :mod:`analysis.maps` draws from
the fixture this script writes. What the script does, once, so that drawing is cheap:

* decodes the TopoJSON of world-atlas 2.0.2 ``countries-50m.json`` (arcs are
  delta-encoded on a quantized grid) and projects every arc with the Equal Earth
  projection (equal-area, so grey areas compare fairly; the look of Robinson);
* simplifies each *arc* (Douglas–Peucker), not each polygon: a border shared by
  two States is one arc, so neighbours stay exactly joined, with no slivers;
* gives every geometry to one of the 195 States by its id (ISO 3166 numeric = M49),
  merging the pieces the atlas draws apart (``PART_OF``) and dissolving the borders
  between them; the rest (Greenland, Western Sahara, ...) are kept as territories;
* records each State's area (from the unsimplified shape) and a dot position for
  every small island developing State, every State smaller than ``DOT_BELOW_KM2``
  and every State the atlas has no polygon for (``NO_POLYGON``: Tuvalu).

Why the 50m atlas rather than 110m: 110m has no polygon at all for 29 States
(Malta, Singapore, Bahrain, most SIDS), so they would be dots with no shape; 50m
has all but Tuvalu, keeps coastlines readable when the map is shown large in the
admin, and per-arc simplification plus integer coordinates keep the fixture small.
Antarctica is left out, as report maps do.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

# The authalic radius of the WGS 84 ellipsoid: Equal Earth at this radius preserves areas.
AUTHALIC_RADIUS_KM = 6371.0072

# Projected coordinates (Equal Earth on the unit sphere, x in ±2.71, y in ±1.32) are
# stored as integers in units of QUANTUM: 1/10 of a pixel on a map 2,000 pixels wide.
QUANTUM = 0.0002
# Douglas–Peucker tolerance in projected units: about a third of a pixel at 2,000 px.
TOLERANCE = 0.0008
# Rings smaller than this after simplification are dropped (but a State keeps its largest).
MIN_RING_AREA = 4 * TOLERANCE**2

# States below this area get a dot as well as their shape: at report scale (a map 16 cm
# wide), 25,000 km² is under a millimetre square. The map decides which dots to draw.
DOT_BELOW_KM2 = 25_000

# Pieces the atlas draws apart that the UN counts in a Member State, by atlas name
# or id. UN statistics count Taiwan, Hong Kong and Macao in China (General Assembly
# resolution 2758 (XXVI)), Åland in Finland, Somaliland in Somalia, northern Cyprus in
# Cyprus and Kosovo (under Security Council resolution 1244 (1999)) with Serbia.
PART_OF = {
    "158": 156, "344": 156, "446": 156,  # Taiwan, Hong Kong, Macao -> China
    "248": 246,  # Åland -> Finland
    "Somaliland": 706,
    "N. Cyprus": 196,
    "Kosovo": 688,
}
# Not drawn: a world map in a report stops short of Antarctica.
LEFT_OUT = {"010"}

# Positions (latitude, longitude) kept by hand, in decimal degrees:
# - States without a polygon in the atlas: Tuvalu (Funafuti atoll, the capital);
# - archipelagos whose largest island is far from the capital, where the dot goes
#   to the capital instead: Kiribati (Tarawa, not Kiritimati in the Line Islands).
NO_POLYGON = {798: ("Tuvalu", -8.52, 179.20)}
DOT_AT = {296: ("Kiribati", 1.33, 172.98)}


# --- projection ----------------------------------------------------------------------

_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796
_M = math.sqrt(3) / 2


def equal_earth(lon_deg, lat_deg):
    """Equal Earth (Šavrič, Patterson & Jenny 2018) on the unit sphere: arrays of x, y."""
    lam = np.radians(np.asarray(lon_deg, dtype=float))
    phi = np.radians(np.asarray(lat_deg, dtype=float))
    theta = np.arcsin(_M * np.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * np.cos(theta) / (_M * (_A1 + 3 * _A2 * t2 + t6 * (7 * _A3 + 9 * _A4 * t2)))
    y = theta * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2))
    return x, y


# --- topology ------------------------------------------------------------------------


def decode_arcs(topology: dict) -> list[np.ndarray]:
    """Arcs as integer (quantized lon/lat) point arrays: TopoJSON stores them as deltas."""
    return [np.cumsum(np.asarray(arc, dtype=np.int64), axis=0) for arc in topology["arcs"]]


def douglas_peucker(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Indices of the points kept; the first and last are always kept.

    A closed arc (an island) is split at its farthest point first, so that it keeps
    at least a triangle.
    """
    n = len(points)
    if n <= 2:
        return np.arange(n)
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    if np.allclose(points[0], points[-1]):
        far = int(np.argmax(np.hypot(*(points - points[0]).T)))
        if far in (0, n - 1):
            return np.array([0, n - 1])
        keep[far] = True
        stack = [(0, far), (far, n - 1)]
    else:
        stack = [(0, n - 1)]
    while stack:
        start, end = stack.pop()
        if end - start < 2:
            continue
        a, b = points[start], points[end]
        inner = points[start + 1:end]
        ab = b - a
        length = math.hypot(*ab)
        if length == 0:
            dist = np.hypot(*(inner - a).T)
        else:
            dist = np.abs(ab[0] * (inner[:, 1] - a[1]) - ab[1] * (inner[:, 0] - a[0])) / length
        i = int(np.argmax(dist))
        if dist[i] > tolerance:
            mid = start + 1 + i
            keep[mid] = True
            stack.extend([(start, mid), (mid, end)])
    return np.flatnonzero(keep)


def dissolve(rings: list[list[int]], arcs: list[np.ndarray]) -> list[list[int]]:
    """The rings of the union of some polygons: arcs they share are dropped, the rest
    stitched end to end again (TopoJSON arc indices; ``~i`` is arc ``i`` reversed)."""
    used = Counter(i if i >= 0 else ~i for ring in rings for i in ring)
    kept = [i for ring in rings for i in ring if used[i if i >= 0 else ~i] == 1]

    def ends(i):
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        return tuple(arc[0]), tuple(arc[-1])

    starting = defaultdict(list)
    for i in kept:
        starting[ends(i)[0]].append(i)
    done: set[int] = set()
    result = []
    for first in kept:
        if first in done:
            continue
        ring, node = [first], ends(first)[1]
        done.add(first)
        while node != ends(first)[0]:
            following = [i for i in starting[node] if i not in done]
            if not following:
                raise ValueError(f"Cannot close a ring at {node}: the topology is broken.")
            ring.append(following[0])
            done.add(following[0])
            node = ends(following[0])[1]
        result.append(ring)
    return result


def ring_points(ring: list[int], arcs) -> np.ndarray:
    parts = []
    for k, i in enumerate(ring):
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(arc if k == 0 else arc[1:])
    return np.concatenate(parts)


def cut_at_antimeridian(ring: np.ndarray) -> list[np.ndarray]:
    """A lon/lat ring that crosses the 180th meridian (Chukotka, Fiji), as one ring each
    side of it; other rings unchanged. The atlas is drawn on a sphere, the map on a plane.
    """
    lon = ring[:, 0]
    step = np.diff(lon)
    jumps = np.abs(step) > 180
    if not jumps.any():
        return [ring]
    turns = np.r_[0, np.cumsum(-np.sign(step) * jumps)]
    unwrapped = np.column_stack([lon + 360 * turns, ring[:, 1]])
    if unwrapped[:, 0].max() > 180:
        seam, sides = 180.0, ((lambda x: x <= 180, 0.0), (lambda x: x >= 180, -360.0))
    else:
        seam, sides = -180.0, ((lambda x: x >= -180, 0.0), (lambda x: x <= -180, 360.0))
    pieces = []
    for inside, shift in sides:
        clipped = _clip(unwrapped, inside, seam)
        if len(clipped) >= 3:
            clipped[:, 0] += shift
            pieces.append(_along_meridian(clipped))
    return pieces


def _clip(ring: np.ndarray, inside, seam: float) -> np.ndarray:
    """Sutherland–Hodgman against the half-plane of one meridian (closed ring)."""
    out = []
    for p, q in zip(ring, np.roll(ring, -1, axis=0), strict=True):
        p_in, q_in = inside(p[0]), inside(q[0])
        if p_in:
            out.append(p)
        if p_in != q_in and p[0] != q[0]:
            t = (seam - p[0]) / (q[0] - p[0])
            out.append(np.array([seam, p[1] + t * (q[1] - p[1])]))
    return np.array(out)


def _along_meridian(ring: np.ndarray, step: float = 1.0) -> np.ndarray:
    """Points every degree along the edges that follow the seam: it is a curve once projected."""
    out = []
    for p, q in zip(ring, np.roll(ring, -1, axis=0), strict=True):
        out.append(p)
        if abs(abs(p[0]) - 180) < 1e-9 and p[0] == q[0] and abs(q[1] - p[1]) > step:
            for lat in np.arange(p[1], q[1], step if q[1] > p[1] else -step)[1:]:
                out.append(np.array([p[0], lat]))
    return np.array(out)


def project(ring: np.ndarray) -> np.ndarray:
    return np.column_stack(equal_earth(ring[:, 0], ring[:, 1]))


def signed_area(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def centroid(points: np.ndarray) -> tuple[float, float]:
    x, y = points[:, 0], points[:, 1]
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    area = cross.sum() / 2
    if area == 0:
        return float(x.mean()), float(y.mean())
    return (float(((x + x1) * cross).sum() / (6 * area)),
            float(((y + y1) * cross).sum() / (6 * area)))


def encode(points: np.ndarray) -> list[int]:
    """A ring as [x0, y0, dx1, dy1, ...] in QUANTUM units, repeated points dropped."""
    q = np.rint(points / QUANTUM).astype(np.int64)
    q = q[np.r_[True, np.any(np.diff(q, axis=0) != 0, axis=1)]]
    if len(q) > 1 and (q[0] == q[-1]).all():
        q = q[:-1]  # the map closes rings itself
    deltas = np.diff(q, axis=0)
    return [int(v) for v in q[0]] + [int(v) for v in deltas.ravel()]


def quantized(x: float, y: float) -> list[int]:
    return [round(x / QUANTUM), round(y / QUANTUM)]


# --- build ---------------------------------------------------------------------------


def build(atlas: Path, registry: Path, tolerance: float = TOLERANCE) -> dict:
    topology = json.loads(atlas.read_text(encoding="utf-8"))
    states = {s["m49"]: s for s in json.loads(registry.read_text(encoding="utf-8"))["states"]}
    scale, translate = topology["transform"]["scale"], topology["transform"]["translate"]
    grid = decode_arcs(topology)

    owners: dict[object, list[list[int]]] = defaultdict(list)
    territory_names: dict[object, str] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        gid, name = geometry.get("id"), geometry["properties"]["name"]
        if gid in LEFT_OUT:
            continue
        polygons = (geometry["arcs"] if geometry["type"] == "MultiPolygon"
                    else [geometry["arcs"]])
        owner = PART_OF.get(gid) or PART_OF.get(name)
        if owner is None and gid is not None and int(gid) in states:
            owner = int(gid)
        if owner is None:
            owner = ("territory", gid or name)
            territory_names.setdefault(owner, name)
        for polygon in polygons:
            owners[owner].extend(polygon)

    used = {i if i >= 0 else ~i for rings in owners.values() for ring in rings for i in ring}
    lonlat: dict[int, np.ndarray] = {}
    simplified: dict[int, np.ndarray] = {}
    for i in used:
        points = np.column_stack([grid[i][:, 0] * scale[0] + translate[0],
                                  grid[i][:, 1] * scale[1] + translate[1]])
        lonlat[i] = points
        # Simplified where it shows: on the map, not in degrees.
        simplified[i] = points[douglas_peucker(project(points), tolerance)]

    def shape(rings):
        """(encoded rings, area in km², centroid of the largest piece) of dissolved rings."""
        merged = dissolve(rings, grid)
        full = [project(piece) for r in merged
                for piece in cut_at_antimeridian(ring_points(r, lonlat))]
        area_km2 = abs(sum(signed_area(p) for p in full)) * AUTHALIC_RADIUS_KM**2
        largest = max(full, key=lambda p: abs(signed_area(p)))
        thin = [project(piece) for r in merged
                for piece in cut_at_antimeridian(ring_points(r, simplified))]
        order = sorted(range(len(thin)), key=lambda k: -abs(signed_area(thin[k])))
        encoded = [encode(thin[k]) for k in order
                   if k == order[0] or abs(signed_area(thin[k])) >= MIN_RING_AREA]
        encoded = [ring for ring in encoded if len(ring) >= 6]  # at least a triangle
        return encoded, area_km2, centroid(largest)

    out_states = []
    for m49, state in sorted(states.items()):
        entry = {"m49": m49, "name": state["name_en"], "sids": state["is_sids"]}
        if m49 in owners:
            rings, area_km2, (cx, cy) = shape(owners[m49])
            if m49 in DOT_AT:
                _name, lat, lon = DOT_AT[m49]
                cx, cy = (float(v[0]) for v in equal_earth([lon], [lat]))
            entry["area_km2"] = round(area_km2)
        elif m49 in NO_POLYGON:
            _name, lat, lon = NO_POLYGON[m49]
            cx, cy = (float(v[0]) for v in equal_earth([lon], [lat]))
            rings, entry["area_km2"] = [], None
        else:
            raise SystemExit(f"No polygon and no hand-kept position for {state['name_en']} "
                             f"({m49}): add it to NO_POLYGON.")
        small = entry["area_km2"] is None or entry["area_km2"] < DOT_BELOW_KM2
        entry["dot"] = quantized(cx, cy) if (state["is_sids"] or small) else None
        entry["rings"] = rings
        out_states.append(entry)

    out_territories = []
    for owner, name in sorted(territory_names.items(), key=lambda item: item[1]):
        rings, _area, _c = shape(owners[owner])
        code = owner[1] if owner[1] != name else None
        out_territories.append({"m49": int(code) if code else None, "name": name,
                                "rings": rings})

    return {
        "source": "world-atlas 2.0.2 countries-50m.json (Natural Earth, public domain; "
                  "ISC licence); built by scripts/build_map.py",
        "projection": "Equal Earth, unit sphere",
        "quantum": QUANTUM,
        "tolerance": tolerance,
        "dot_below_km2": DOT_BELOW_KM2,
        "states": out_states,
        "territories": out_territories,
    }


def dump(data: dict) -> str:
    """Compact JSON with one State or territory a line, so that a diff reads."""
    head = {k: v for k, v in data.items() if k not in ("states", "territories")}
    lines = ["{"]
    for key, value in head.items():
        lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},")
    for key in ("states", "territories"):
        lines.append(f' "{key}": [')
        items = [json.dumps(item, ensure_ascii=False, separators=(",", ":"))
                 for item in data[key]]
        lines.append(",\n".join(items))
        lines.append(" ]," if key == "states" else " ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path,
                        default=ROOT.parent / "shared" / "data" / "world-atlas")
    parser.add_argument("--registry", type=Path, default=ROOT / "fixtures" / "registry.json")
    parser.add_argument("--output", type=Path, default=ROOT / "fixtures" / "world-map.json")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE,
                        help="simplification tolerance, in Equal Earth units (default "
                             "%(default)s)")
    args = parser.parse_args()
    data = build(args.source / "countries-50m.json", args.registry, args.tolerance)
    text = dump(data)
    args.output.write_text(text, encoding="utf-8")
    shapes = sum(1 for s in data["states"] if s["rings"])
    dots = sum(1 for s in data["states"] if s["dot"])
    print(f"{len(data['states'])} States ({shapes} with a shape, {dots} with a dot) and "
          f"{len(data['territories'])} territories written to {args.output} "
          f"({len(text.encode()) // 1024} KB)")


if __name__ == "__main__":
    main()

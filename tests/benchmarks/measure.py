"""Timing, peak memory and the one table every benchmark adds a line to.

Times are wall-clock seconds (``time.perf_counter``), the best of ``repeat`` runs.
Peak memory is the growth of the process's resident set during the run, sampled
every 5 ms by a thread, after freed memory has been handed back to the system
(``malloc_trim``): what the operation needed on top of what was already there.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import platform
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE")
try:
    _LIBC = ctypes.CDLL("libc.so.6")
except OSError:  # not glibc: RSS is then only a rough figure
    _LIBC = None


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


def _trim() -> None:
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


@dataclass
class Run:
    seconds: float
    peak_mb: float
    result: object = None


class _Sampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.start_rss = _rss()
        self.peak = self.start_rss
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(0.005):
            self.peak = max(self.peak, _rss())

    def stop(self) -> float:
        self.done.set()
        self.join()
        self.peak = max(self.peak, _rss())
        return (self.peak - self.start_rss) / 2**20


def profile(name: str, fn: Callable[[], object]) -> None:
    """With ``BENCH_PROFILE`` set to a folder, run ``fn`` once more under pyinstrument and
    write its profile there as ``name``.txt (for finding out why a goal is missed)."""
    folder = os.environ.get("BENCH_PROFILE")
    if not folder:
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    with profiler:
        fn()
    Path(folder).mkdir(parents=True, exist_ok=True)
    (Path(folder) / f"{name}.txt").write_text(
        profiler.output_text(unicode=True, show_all=False, timeline=False), encoding="utf-8")


def measure(fn: Callable[[], object], *, repeat: int = 1,
            before: Callable[[], None] | None = None, name: str | None = None) -> Run:
    """Run ``fn`` ``repeat`` times (``before`` untimed ahead of each); the best time,
    the largest memory growth and the last result."""
    if name:
        if before is not None:
            before()
        profile(name, fn)
    best, peak, result = float("inf"), 0.0, None
    for _ in range(repeat):
        if before is not None:
            before()
        _trim()
        sampler = _Sampler()
        sampler.start()
        start = time.perf_counter()
        try:
            result = fn()
        finally:
            elapsed = time.perf_counter() - start
            peak = max(peak, sampler.stop())
        best = min(best, elapsed)
    return Run(best, peak, result)


def python_peak_mb(fn: Callable[[], object]) -> float:
    """Peak of the memory Python allocated while ``fn`` ran (tracemalloc; slow, untimed)."""
    _trim()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


@dataclass
class Line:
    item: str
    inquiry: float | None  # seconds (or a rate, see ``unit``)
    floor: float | None
    ratio: float | None
    goal: str
    met: bool | None
    peak_mb: float | None = None
    unit: str = "s"
    note: str = ""


@dataclass
class Table:
    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    machine: str = "(not read)"

    def add(self, item: str, *, inquiry=None, floor=None, ratio=None, goal: str = "",
            met: bool | None = None, peak_mb=None, unit: str = "s", note: str = "") -> Line:
        if ratio is None and inquiry is not None and floor:
            ratio = inquiry / floor
        line = Line(item, inquiry, floor, ratio, goal, met, peak_mb, unit, note)
        self.lines.append(line)
        return line

    def render(self) -> str:
        def number(value, unit="s"):
            if value is None:
                return "—"
            if unit == "s":
                return f"{value:.3f} s" if value < 100 else f"{value:.0f} s"
            return f"{value:,.0f} {unit}"

        rows = [("item", "Inquiry", "floor", "ratio", "goal", "met?", "peak memory")]
        for line in self.lines:
            rows.append((
                line.item, number(line.inquiry, line.unit), number(line.floor, line.unit),
                "—" if line.ratio is None else f"{line.ratio:.2f}×", line.goal or "—",
                {True: "yes", False: "NO", None: "—"}[line.met],
                "—" if line.peak_mb is None else f"{line.peak_mb:,.0f} MB"))
        widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
        out = ["| " + " | ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True))
               + " |" for row in rows]
        out.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
        notes = [f"- {line.item}: {line.note}" for line in self.lines if line.note]
        return "\n".join(out + ([""] + notes if notes else []) +
                         ([""] + [f"- {n}" for n in self.notes] if self.notes else []))


def machine() -> str:
    """nproc, CPU model, RAM, Python, database: the line that goes with a table."""
    from django.db import connection

    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    ram = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        ram = f"{kb / 2**20:.0f} GiB"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    else:
        import sqlite3
        database = f"SQLite {sqlite3.sqlite_version}"
    return (f"{os.cpu_count()} cores ({model}), {ram} RAM, Python {platform.python_version()}, "
            f"{database}")


TABLE = Table()

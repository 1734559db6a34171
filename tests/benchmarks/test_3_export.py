"""3. Export of the Replies sheet: 20,000 rows, 400,000 answers.

Inquiry: ``replies_export`` (read the versions to export, make every cell safe,
write with openpyxl's write-only mode). Floor: openpyxl write-only writing the
same cells, already in memory. Memory: the Python heap's peak (tracemalloc) while
exporting 195 and 20,000 replies: it must not grow with the rows.
"""

from __future__ import annotations

from openpyxl import Workbook

from surveys.services.reply_export import replies_export, replies_wide
from tests.benchmarks.measure import measure, python_peak_mb


def write_cells(header, rows, path):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Replies")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def test_export_against_openpyxl_write_only(scale, table, tmp_path):
    wide = replies_wide(questionnaire=scale.big)
    header, rows = wide.header, list(wide.rows)
    assert len(rows) == scale.n
    floor = measure(lambda: write_cells(header, rows, tmp_path / "floor.xlsx"), repeat=2)
    rows.clear()  # the floor's cells, no longer needed
    run = measure(lambda: replies_export(questionnaire=scale.big, path=tmp_path / "r.xlsx"),
                  repeat=2, name="export")
    assert run.result == scale.n

    small = python_peak_mb(lambda: replies_export(questionnaire=scale.small,
                                                  path=tmp_path / "small.xlsx"))
    big = python_peak_mb(lambda: replies_export(questionnaire=scale.big,
                                                path=tmp_path / "big.xlsx"))
    ratio = run.seconds / floor.seconds
    table.add(f"3 export of the Replies sheet ({scale.n:,} rows) vs openpyxl write-only",
              inquiry=run.seconds, floor=floor.seconds, goal="≤ 1.5×", met=ratio <= 1.5,
              peak_mb=run.peak_mb)
    flat = big <= small * 1.5 + 5
    table.add(f"3 export memory (Python heap peak): 195 vs {scale.n:,} rows", inquiry=big,
              floor=small,
              ratio=big / small, goal="does not grow", met=flat, unit="MB",
              note=f"tracemalloc peak {small:.1f} MB for 195 rows, {big:.1f} MB for "
                   f"{scale.n:,}")
    assert flat

"""All-or-nothing spreadsheet imports through django-import-export resources.

django-import-export reports errors per row, but leaves it to the caller to refuse
a file that has any: this module runs a resource so that a file with one bad row
writes nothing, and turns the result into plain messages that name each row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import tablib
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from import_export.resources import Resource


@dataclass
class RowProblem:
    row: int  # 1 = the first row under the header, as the admin's import screen counts
    messages: list[str]
    sheet_line: int | None = None  # where the reader found the row, when it knows

    @property
    def line(self) -> int:
        """The row as a spreadsheet program numbers it (the header is line 1): where the
        reader found it, blank lines above included, else the row after the header."""
        return self.sheet_line if self.sheet_line is not None else self.row + 1

    def __str__(self):
        return _("Row %(row)s (line %(line)s of the sheet): %(messages)s") % {
            "row": self.row, "line": self.line, "messages": " ".join(self.messages)}


@dataclass
class ImportOutcome:
    total: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems and not self.file_errors

    def summary(self) -> str:
        if not self.ok:
            n = len(self.problems) + len(self.file_errors)
            # Translators: %(problems)s is "1 problem" / "3 problems", %(rows)s "4 rows".
            return _("Nothing imported: %(problems)s in %(rows)s.") % {
                "problems": ngettext("%(n)s problem", "%(n)s problems", n) % {"n": n},
                "rows": ngettext("%(n)s row", "%(n)s rows", self.total) % {"n": self.total}}
        counts = {"total": self.total, "new": self.new, "updated": self.updated,
                  "unchanged": self.unchanged}
        if self.written:
            return ngettext("%(total)s row imported: %(new)s new, %(updated)s updated, "
                            "%(unchanged)s unchanged.",
                            "%(total)s rows imported: %(new)s new, %(updated)s updated, "
                            "%(unchanged)s unchanged.", self.total) % counts
        return ngettext("%(total)s row would be imported (dry run): %(new)s new, %(updated)s "
                        "updated, %(unchanged)s unchanged.",
                        "%(total)s rows would be imported (dry run): %(new)s new, %(updated)s "
                        "updated, %(unchanged)s unchanged.", self.total) % counts


def _messages(error: ValidationError, columns: dict[str, str]) -> list[str]:
    if hasattr(error, "error_dict"):
        out = []
        for name, errors in error.error_dict.items():
            label = "" if name == "__all__" else f"{columns.get(name, name)}: "
            out += [f"{label}{msg}" for e in errors for msg in e.messages]
        return out
    return list(error.messages)


def run_import(resource: Resource, dataset: tablib.Dataset, *, dry_run: bool,
               **kwargs) -> ImportOutcome:
    """Validate every row; write only if ``dry_run`` is false and no row is bad."""
    outcome = ImportOutcome(total=len(dataset))
    # Errors are keyed by model attribute; staff know the sheet's column names.
    columns = {f.attribute: f.column_name for f in resource.fields.values() if f.attribute}
    with transaction.atomic():
        result = resource.import_data(dataset, dry_run=True, raise_errors=False,
                                      use_transactions=True,
                                      rollback_on_validation_errors=True, **kwargs)
    outcome.file_errors = [str(e.error) for e in result.base_errors]
    lines = getattr(dataset, "lines", None)  # set by surveys.spreadsheets' readers

    def line(number: int) -> int | None:
        return lines[number - 1] if lines and 0 < number <= len(lines) else None

    for number, errors in result.row_errors():
        outcome.problems.append(RowProblem(number, [str(e.error) for e in errors], line(number)))
    for invalid in result.invalid_rows:
        outcome.problems.append(RowProblem(invalid.number, _messages(invalid.error, columns),
                                           line(invalid.number)))
    outcome.problems.sort(key=lambda p: p.row)
    totals = result.totals
    outcome.new, outcome.updated = totals.get("new", 0), totals.get("update", 0)
    outcome.unchanged = totals.get("skip", 0)
    if not outcome.ok or dry_run:
        return outcome
    with transaction.atomic():
        result = resource.import_data(dataset, dry_run=False, raise_errors=True,
                                      use_transactions=True,
                                      rollback_on_validation_errors=True, **kwargs)
    outcome.written = True
    return outcome

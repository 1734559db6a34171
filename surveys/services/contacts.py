"""Import and export of contacts from and to spreadsheets."""

from __future__ import annotations

from pathlib import Path

from surveys.resources import ContactResource
from surveys.services.imports import ImportOutcome, run_import
from surveys.spreadsheets import SpreadsheetError, read_table


def contacts_import(*, source, filename: str | None = None, dry_run: bool = False) -> ImportOutcome:
    """Import a contacts sheet (.xlsx or .csv): all rows or none."""
    try:
        dataset = read_table(source, filename=filename)
    except SpreadsheetError as exc:
        return ImportOutcome(file_errors=[str(exc)])
    return run_import(ContactResource(), dataset, dry_run=dry_run)


def contacts_export(*, path: Path) -> int:
    """Write every contact to ``path`` (.xlsx or .csv), the columns the import reads."""
    dataset = ContactResource().export()
    path = Path(path)
    if path.suffix.lower() == ".csv":
        path.write_text(dataset.export("csv"), encoding="utf-8-sig")
    else:
        path.write_bytes(dataset.export("xlsx"))
    return len(dataset)

"""Codebooks in and out of Inquiry: the .xlsx sheet staff edit, and the shared writer.

Both imports (the .xlsx here, the REFI-QDA .qdc of :mod:`analysis.refiqda`) turn a
file into :class:`CodeEntry` rows and hand them to :func:`codebook_apply`, so a
codebook is checked the same way whatever its format: every bad entry is listed
(unknown parent, a parent chain that loops, a key used twice, an unknown question)
and a file with one bad entry writes nothing. Codes are matched by key, so an
import updates the codebook it came from instead of doubling it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from analysis.models import Code
from analysis.models.codebook import key_validator
from surveys.cells import formula_safe, unescape
from surveys.models import Questionnaire
from surveys.services.imports import ImportOutcome, RowProblem
from surveys.spreadsheets import SpreadsheetError, canonical_headers, read_table
from surveys.translated import translated

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = ["key", "label", "definition", "parent", "exclusive_group", "question", "order",
           "keywords"]
REQUIRED_COLUMNS = ["key", "label"]
HEADER_SYNONYMS = {
    "code": "key", "code key": "key", "id": "key", "name": "label", "view": "label",
    "description": "definition", "parent key": "parent", "parent code": "parent",
    "group": "exclusive_group", "exclusive": "exclusive_group",
    "question code": "question", "keyword": "keywords", "search words": "keywords",
}
# Keywords are separated by ";" (or the full-width "；" Chinese keyboards type), or
# written one per line.
KEYWORD_SEPARATORS = re.compile(r"[;；\n]")
MAX_ORDER = 32767  # PositiveSmallIntegerField on PostgreSQL


@dataclass
class CodebookOutcome(ImportOutcome):
    """An import's outcome, plus notes that do not stop it (columns or sets left aside)."""

    warnings: list[str] = field(default_factory=list)


@dataclass
class CodeEntry:
    """One code as a file gives it. ``None`` leaves an existing code's value as it is
    (the file has no such column); ``""`` clears it."""

    position: int  # the row under the header, or the code's rank in a .qdc
    key: str
    label: str
    definition: str | None = None
    parent: str | None = None
    exclusive_group: str | None = None
    question: str | None = None
    order: int | None = None
    keywords: list[str] | None = None
    problems: list[str] = field(default_factory=list)  # found while reading the file


def keywords_split(text: str) -> list[str]:
    """"sole follow-up; seule suite" → ["sole follow-up", "seule suite"], without repeats."""
    seen, out = set(), []
    for part in KEYWORD_SEPARATORS.split(text or ""):
        word = " ".join(part.split())
        if word and word.casefold() not in seen:
            seen.add(word.casefold())
            out.append(word)
    return out


def codes_in_tree_order(codes: Iterable[Code]) -> list[tuple[Code, int]]:
    """(code, depth) with each parent before its children, siblings by order.

    A code whose parent is not among ``codes`` (a code for another question) is
    shown at the top level. Used by the exports and by the coding screen.
    """
    codes = sorted(codes, key=lambda c: (c.order, c.pk or 0))
    present = {c.pk for c in codes}
    children: dict[int | None, list[Code]] = {}
    for code in codes:
        parent = code.parent_id if code.parent_id in present else None
        children.setdefault(parent, []).append(code)
    out: list[tuple[Code, int]] = []
    stack = [(c, 0) for c in reversed(children.get(None, []))]
    seen = set()
    while stack:
        code, depth = stack.pop()
        if code.pk in seen:  # a loop in the data; never expected, never fatal
            continue
        seen.add(code.pk)
        out.append((code, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(code.pk, [])))
    return out


# --- the shared writer ------------------------------------------------------------------------


def _entry_problems(entries: list[CodeEntry], *, questionnaire: Questionnaire,
                    existing: dict[str, Code], question_codes: set[str],
                    replace: bool) -> dict[int, list[str]]:
    """Every problem of every entry, by index in ``entries``."""
    problems: dict[int, list[str]] = {}

    def add(index, message):
        problems.setdefault(index, []).append(message)

    first_seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        for message in entry.problems:
            add(index, message)
        if not entry.key:
            add(index, _("The key is missing."))
        else:
            try:
                key_validator(entry.key)
            except ValidationError as exc:
                add(index, _("Key “%(key)s”: %(error)s") % {"key": entry.key,
                                                            "error": " ".join(exc.messages)})
            if len(entry.key) > 60:
                add(index, _("The key is longer than 60 characters."))
            if entry.key in first_seen:
                add(index, _("The key “%(key)s” is used twice (first at %(first)s).")
                    % {"key": entry.key, "first": entries[first_seen[entry.key]].position})
            else:
                first_seen[entry.key] = index
        if not entry.label:
            add(index, _("The label is missing."))
        elif len(entry.label) > 200:
            add(index, _("The label is longer than 200 characters."))
        if entry.exclusive_group and len(entry.exclusive_group) > 60:
            add(index, _("The exclusive group is longer than 60 characters."))
        if entry.question and entry.question not in question_codes:
            add(index, _("No question “%(code)s” in %(questionnaire)s.")
                % {"code": entry.question, "questionnaire": questionnaire.code})
        if entry.order is not None and not 0 <= entry.order <= MAX_ORDER:
            add(index, _("The order must be a whole number from 0 to %(max)s.")
                % {"max": MAX_ORDER})

    # The codebook after the import: the file's codes, and (unless replacing) the others.
    parents: dict[str, str] = {}
    if not replace:
        by_pk = {c.pk: c.key for c in existing.values()}
        parents = {c.key: by_pk.get(c.parent_id, "") for c in existing.values()}
    for entry in entries:
        if entry.key and entry.parent is not None:
            parents[entry.key] = entry.parent
        elif entry.key and entry.key not in parents:
            parents[entry.key] = ""
    for index, entry in enumerate(entries):
        parent = parents.get(entry.key, "") if entry.key else ""
        if not parent:
            continue
        if parent == entry.key:
            add(index, _("A code cannot be its own parent."))
        elif parent not in parents:
            add(index, _("Unknown parent “%(parent)s”: no code has this key.") % {"parent": parent})
        else:
            chain, node = [entry.key], parent
            while node and node not in chain:
                chain.append(node)
                node = parents.get(node, "")
            if node == entry.key:
                add(index, _("The parents form a loop: %(chain)s.")
                    % {"chain": " → ".join([*chain, entry.key])})
    return problems


def codebook_apply(entries: list[CodeEntry], *, questionnaire: Questionnaire,
                   replace: bool = False, describe=None) -> CodebookOutcome:
    """Check ``entries`` and, only if every one is sound, write them in one transaction.

    Codes are matched by key (new keys create codes). With ``replace``, codes the
    file does not name are deleted, unless coders have used them. ``describe(entry,
    messages)`` turns an entry's problems into a message (default: a sheet row).
    """
    outcome = CodebookOutcome(total=len(entries))
    if not entries:
        outcome.file_errors.append(_("The file holds no codes."))
        return outcome
    existing = {c.key: c for c in Code.objects.filter(questionnaire=questionnaire)}
    questions = {q.code: q for q in questionnaire.questions.all()}
    problems = _entry_problems(entries, questionnaire=questionnaire, existing=existing,
                               question_codes=set(questions), replace=replace)
    for index, messages in sorted(problems.items()):
        entry = entries[index]
        if describe is None:
            outcome.problems.append(RowProblem(entry.position, messages))
        else:
            outcome.file_errors.append(describe(entry, messages))

    named = {e.key for e in entries}
    dropped = [c for key, c in existing.items() if key not in named] if replace else []
    if dropped:
        used = dict(Code.objects.filter(pk__in=[c.pk for c in dropped], codings__isnull=False)
                    .values_list("key").annotate(n=Count("codings")))
        for key, number in sorted(used.items()):
            outcome.file_errors.append(
                ngettext("The code “%(key)s” is not in the file but has %(n)s coding: keep it "
                         "in the file, or import without replacing.",
                         "The code “%(key)s” is not in the file but has %(n)s codings: keep it "
                         "in the file, or import without replacing.", number)
                % {"key": key, "n": number})
    if not outcome.ok:
        return outcome

    with transaction.atomic():
        if dropped:
            Code.objects.filter(pk__in=[c.pk for c in dropped]).delete()
        fields = ["label", "definition", "exclusive_group", "question", "order", "keywords"]
        new, changed = [], []
        for entry in entries:
            code = existing.get(entry.key)
            is_new = code is None
            if is_new:
                code = Code(questionnaire=questionnaire, key=entry.key, order=entry.position)
            before = [getattr(code, f"{f}_id" if f == "question" else f) for f in fields]
            code.label = entry.label
            if entry.definition is not None:
                code.definition = entry.definition
            if entry.exclusive_group is not None:
                code.exclusive_group = entry.exclusive_group
            if entry.question is not None:
                code.question = questions[entry.question] if entry.question else None
            if entry.order is not None:
                code.order = entry.order
            if entry.keywords is not None:
                code.keywords = entry.keywords
            after = [getattr(code, f"{f}_id" if f == "question" else f) for f in fields]
            if is_new:
                new.append(code)
            elif before != after:
                changed.append(code)
        Code.objects.bulk_create(new)
        if changed:
            Code.objects.bulk_update(changed, fields)
        # Parents last: a parent may be a code this very file creates.
        codes = {c.key: c for c in Code.objects.filter(questionnaire=questionnaire)}
        reparented = set()
        for entry in entries:
            if entry.parent is None:
                continue
            code = codes[entry.key]
            parent_id = codes[entry.parent].pk if entry.parent else None
            if code.parent_id != parent_id:
                code.parent_id = parent_id
                reparented.add(entry.key)
        if reparented:
            Code.objects.bulk_update([codes[k] for k in reparented], ["parent"])
    new_keys = {c.key for c in new}
    outcome.new = len(new)
    outcome.updated = len({c.key for c in changed} | (reparented - new_keys))
    outcome.unchanged = outcome.total - outcome.new - outcome.updated
    outcome.written = True
    if dropped:
        outcome.warnings.append(ngettext("%(n)s code not in the file was removed: %(keys)s.",
                                         "%(n)s codes not in the file were removed: %(keys)s.",
                                         len(dropped))
                                % {"n": len(dropped),
                                   "keys": ", ".join(sorted(c.key for c in dropped))})
    return outcome


# --- .xlsx ------------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(unescape(value) if isinstance(value, str) else value).strip()


def codebook_import_xlsx(*, questionnaire: Questionnaire, source, filename: str | None = None,
                         replace: bool = False) -> CodebookOutcome:
    """Import a codebook sheet (.xlsx, or .csv) into ``questionnaire``: all rows or none.

    Columns: key, label, definition, parent (a key), exclusive_group, question (a
    question code, blank for any), order, keywords (separated by “;”). Only key and
    label are required; a column left out leaves that attribute of existing codes
    as it is. Existing codes are updated by key; ``replace`` removes those the sheet
    does not list.
    """
    try:
        dataset = read_table(source, filename=filename)
        canonical_headers(dataset, HEADER_SYNONYMS)
    except SpreadsheetError as exc:
        return CodebookOutcome(file_errors=[str(exc)])
    headers = list(dataset.headers)
    missing = [c for c in REQUIRED_COLUMNS if c not in headers]
    if missing:
        return CodebookOutcome(total=len(dataset), file_errors=[
            _("The sheet has no column “%(columns)s”. Expected columns: %(expected)s.")
            % {"columns": "”, “".join(missing), "expected": ", ".join(COLUMNS)}])
    unknown = [h for h in headers if h and h not in COLUMNS]
    entries = []
    for number, row in enumerate(dataset.dict, start=1):
        cells = {name: _text(row.get(name)) for name in COLUMNS if name in headers}
        entry = CodeEntry(
            position=number, key=cells["key"], label=cells["label"],
            definition=cells.get("definition"), parent=cells.get("parent"),
            exclusive_group=cells.get("exclusive_group"), question=cells.get("question"),
            keywords=keywords_split(cells["keywords"]) if "keywords" in cells else None)
        if cells.get("order"):
            try:
                entry.order = int(cells["order"])
            except ValueError:
                entry.problems.append(_("The order “%(value)s” is not a whole number.")
                                      % {"value": cells["order"]})
        elif "order" in headers:
            entry.order = number  # a blank order: the sheet's own order
        entries.append(entry)
    outcome = codebook_apply(entries, questionnaire=questionnaire, replace=replace)
    if unknown:
        outcome.warnings.append(_("Columns left aside: %(columns)s.")
                                % {"columns": ", ".join(unknown)})
    return outcome


def codebook_export_xlsx(*, questionnaire: Questionnaire) -> bytes:
    """The codebook as the sheet :func:`codebook_import_xlsx` reads, parents first.

    A second sheet lists the questions, so whoever edits the codebook knows which
    question codes exist. Every text cell is formula-safe.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    codes = list(Code.objects.filter(questionnaire=questionnaire)
                 .select_related("parent", "question"))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "codebook"
    sheet.append(COLUMNS)
    for code, _depth in codes_in_tree_order(codes):
        sheet.append([formula_safe(v) for v in [
            code.key, code.label, code.definition, code.parent.key if code.parent else "",
            code.exclusive_group, code.question.code if code.question else "", code.order,
            "; ".join(code.keywords or [])]])
    widths = {"key": 24, "label": 40, "definition": 60, "parent": 20, "exclusive_group": 18,
              "question": 22, "order": 8, "keywords": 50}
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = widths[cell.value]
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"

    questions = workbook.create_sheet("questions")
    questions.append([_("question"), _("text")])
    for question in questionnaire.questions.all():
        questions.append([formula_safe(question.code), formula_safe(
            translated(question.text, questionnaire.default_language,
                       questionnaire.default_language))])
    for cell in questions[1]:
        cell.font = Font(bold=True)
    questions.freeze_panes = "A2"
    questions.column_dimensions["A"].width = 24
    questions.column_dimensions["B"].width = 100

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

"""The report workbook: participation, views in words and figures, replies, codings.

One .xlsx per questionnaire and date, for the drafters of the report. Sheets, in
this order (their names stay English so that formulas and macros written against
them keep working in every language; their contents follow the active language):

Summary          the questionnaire, its dates, the participation sentence, one draft
                 sentence per view, the replies map and the timeline (PNG images)
Participation    recipients, respondents on time and late; by region, with a chart
Views            each code: States holding it, bases, shares, the phrase; a chart
Views by region  codes × regions, States holding each view
Replies          a row per replying State, a column per question (surveys' export)
Codings          every coding: State, question, code, coder, final or not, excerpt
Status           every State's place on the status board, as of the date

Counts come from :mod:`analysis.tallies` and words from :mod:`analysis.phrasing`;
this module only lays them out. Every text cell goes through
:func:`surveys.cells.formula_safe`, and the number of queries does not grow with
the number of States.
"""

from __future__ import annotations

import datetime as dt
import math
from io import BytesIO

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from analysis import charts, maps, phrasing, tallies
from analysis.models import Coding
from surveys.cells import formula_safe
from surveys.models import Questionnaire, Response
from surveys.selectors import recipient_statuses
from surveys.services.reply_export import replies_wide

SHEETS = ("Summary", "Participation", "Views", "Views by region", "Replies", "Codings",
          "Status")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_CELL = 32_767

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F5F99")  # UN blue, darkened for white text
TOTAL_FONT = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
WRAP = Alignment(wrap_text=True, vertical="top")
DATE_FORMAT = "yyyy-mm-dd"
SHARE_FORMAT = "0%"

# Images on the Summary sheet, in pixels as Excel shows them (the PNGs are larger,
# so that they print sharply).
MAP_WIDTH = 900
TIMELINE_WIDTH = 900


# --- cells -------------------------------------------------------------------------------


def cell_value(value):
    """A value as a cell takes it: text made formula-safe and legal, dates as dates."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) \
            else value
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > XLSX_MAX_CELL:
            value = value[:XLSX_MAX_CELL - 1] + "…"
        return formula_safe(value)
    return value


def _append(sheet: Worksheet, values, *, font=None, formats: dict[int, str] | None = None):
    if not values:
        sheet.append([])
        return None
    sheet.append([cell_value(v) for v in values])
    row = sheet.max_row
    for cell in sheet[row]:
        if font is not None:
            cell.font = font
        if isinstance(cell.value, dt.datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(cell.value, dt.date):
            cell.number_format = DATE_FORMAT
    for column, number_format in (formats or {}).items():
        sheet.cell(row=row, column=column).number_format = number_format
    return row


def _header(sheet: Worksheet, values, *, row: int | None = None):
    """A header row: bold white on blue. Appended, or written at ``row``."""
    if row is None:
        row = _append(sheet, values)
    else:
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=cell_value(value))
    for column in range(1, len(values) + 1):
        cell = sheet.cell(row=row, column=column)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    return row


def _widths(sheet: Worksheet, widths: list[int]):
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _show_axes(chart):
    # openpyxl 3.1 writes axes as deleted unless told otherwise: Excel would hide them.
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _day(value):
    if isinstance(value, dt.datetime):
        return timezone.localdate(value)
    return value


# --- sheets ------------------------------------------------------------------------------


def _summary(sheet, *, questionnaire, figures, sentence, views, map_png, timeline_png,
             map_date):
    sheet.title = "Summary"
    _header(sheet, [_("Item"), _("Value")])
    sheet.freeze_panes = "A2"
    rows = [
        (_("Questionnaire"), questionnaire.code),
        (_("Title"), questionnaire.title_text()),
        (_("Reference"), questionnaire.reference),
        (_("Sent on"), questionnaire.sent_on),
        (_("Deadline"), questionnaire.deadline),
        (_("Report cut-off"), questionnaire.cutoff),
        (_("Counted as of"), figures.as_of),
        (_("States asked"), figures.recipients),
        (_("States that replied"), figures.respondents),
        (_("of which by the deadline"), figures.on_time),
        (_("of which after the deadline"), figures.late),
        (_("Participation"), sentence),
    ]
    for label, value in rows:
        _append(sheet, [label, value])
        sheet.cell(row=sheet.max_row, column=1).font = TOTAL_FONT
    _append(sheet, [])
    _header(sheet, [_("View"), _("Draft sentence (words and figures)")])
    for view in views:
        _append(sheet, [view.label, view.text])
    for row in sheet.iter_rows(min_row=2, max_col=2):
        for cell in row:
            cell.alignment = WRAP
    _widths(sheet, [30, 90])

    sheet.cell(row=1, column=4, value=cell_value(
        _("Replies received by %(date)s") % {"date": charts.day_label(map_date)}))
    sheet.cell(row=1, column=4).font = TOTAL_FONT
    picture = Image(BytesIO(map_png))
    ratio = picture.height / picture.width
    picture.width, picture.height = MAP_WIDTH, round(MAP_WIDTH * ratio)
    sheet.add_image(picture, "D2")
    # Rows are 20 px high by default: the timeline goes under the map.
    below = 2 + math.ceil(picture.height / 20) + 2
    sheet.cell(row=below - 1, column=4, value=cell_value(_("Replies received over time")))
    sheet.cell(row=below - 1, column=4).font = TOTAL_FONT
    picture = Image(BytesIO(timeline_png))
    ratio = picture.height / picture.width
    picture.width, picture.height = TIMELINE_WIDTH, round(TIMELINE_WIDTH * ratio)
    sheet.add_image(picture, f"D{below}")


def _participation(sheet, *, figures):
    _header(sheet, [_("Participation"), _("States")])
    sheet.freeze_panes = "A2"
    for label, value in [(_("States asked (recipients)"), figures.recipients),
                         (_("States that replied (respondents)"), figures.respondents),
                         (_("Replied by the deadline"), figures.on_time),
                         (_("Replied after the deadline"), figures.late),
                         (_("Respondents that are Member States"), figures.members)]:
        _append(sheet, [label, value])
    _append(sheet, [_("Counted as of"), figures.as_of])
    _append(sheet, [])

    first = _header(sheet, [_("Region"), _("States asked"), _("States that replied"),
                            _("Share that replied")])
    table = figures.by_region
    for row in table.itertuples(index=False):
        _append(sheet, [row.region, row.recipients, row.respondents, row.share],
                formats={4: SHARE_FORMAT})
    last = sheet.max_row
    total = _append(sheet, [_("Total"), figures.recipients, figures.respondents,
                            figures.respondents / figures.recipients if figures.recipients
                            else None], font=TOTAL_FONT, formats={4: SHARE_FORMAT})
    _widths(sheet, [36, 14, 16, 16])

    if last > first:
        chart = BarChart()
        chart.type = "col"
        chart.title = cell_value(_("States asked and States that replied, by region"))
        chart.y_axis.title = cell_value(_("States"))
        chart.add_data(Reference(sheet, min_col=2, max_col=3, min_row=first, max_row=last),
                       titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=first + 1, max_row=last))
        chart.height, chart.width = 8, 16
        _show_axes(chart)
        sheet.add_chart(chart, f"F{first}")
    return total


def _views(sheet, *, table, sentences):
    _header(sheet, [_("Key"), _("View"), _("States holding it"), _("Base (States that replied)"),
                    _("Share of respondents"), _("States asked"), _("Share of States asked"),
                    _("Phrase"), _("Draft sentence"), _("States")])
    sheet.freeze_panes = "C2"
    by_key = {s.key: s for s in sentences}
    for row in table.itertuples(index=False):
        sentence = by_key.get(row.key)
        _append(sheet, [row.key, row.label, row.count, row.respondents, row.share_respondents,
                        row.recipients, row.share_recipients,
                        sentence.phrase.text if sentence else "",
                        sentence.text if sentence else "",
                        ", ".join(sentence.states) if sentence else ""],
                formats={5: SHARE_FORMAT, 7: SHARE_FORMAT})
    _widths(sheet, [18, 44, 10, 12, 12, 10, 12, 40, 60, 60])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = WRAP
    if len(table):
        chart = BarChart()
        chart.type = "bar"  # horizontal: the labels are long
        chart.title = cell_value(_("States holding each view"))
        chart.x_axis.scaling.orientation = "maxMin"  # codebook order, top to bottom
        chart.legend = None
        chart.add_data(Reference(sheet, min_col=3, min_row=1, max_row=len(table) + 1),
                       titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=2, min_row=2, max_row=len(table) + 1))
        chart.height, chart.width = max(6, 1 + 0.9 * len(table)), 18
        _show_axes(chart)
        sheet.add_chart(chart, "L2")


def _views_by_region(sheet, *, table, overall):
    regions = list(dict.fromkeys(table["group"])) if len(table) else []
    _header(sheet, [_("Key"), _("View"), *regions, _("All regions")])
    sheet.freeze_panes = "C2"
    counts = {(row.key, row.group): row.count for row in table.itertuples(index=False)}
    bases = {row.group: (row.respondents, row.recipients)
             for row in table.itertuples(index=False)}
    for row in overall.itertuples(index=False):
        _append(sheet, [row.key, row.label, *[counts.get((row.key, r), 0) for r in regions],
                        row.count])
    base_all = (int(overall["respondents"].iloc[0]), int(overall["recipients"].iloc[0])) \
        if len(overall) else (0, 0)
    _append(sheet, ["", _("States that replied (base)"),
                    *[bases[r][0] for r in regions], base_all[0]], font=TOTAL_FONT)
    _append(sheet, ["", _("States asked"), *[bases[r][1] for r in regions], base_all[1]],
            font=TOTAL_FONT)
    _widths(sheet, [18, 44, *[12] * len(regions), 12])


def _replies(sheet, *, questionnaire, as_of):
    table = replies_wide(questionnaire=questionnaire, as_of=as_of)
    _header(sheet, table.header)
    sheet.freeze_panes = "B2"
    for row in table.rows:
        _append(sheet, row)
    _widths(sheet, table.widths)


def _codings(sheet, *, questionnaire, as_of):
    _header(sheet, [_("State"), _("ISO3"), _("Question"), _("Key"), _("View"), _("Coder"),
                    _("Final"), _("Excerpt"), _("Coded at")])
    sheet.freeze_panes = "B2"
    codings = (Coding.objects
               .filter(code__questionnaire=questionnaire,
                       answer__response__recipient__questionnaire=questionnaire,
                       answer__response__status=Response.Status.SUBMITTED,
                       answer__response__received_on__lte=as_of)
               .select_related("answer__question", "answer__response__recipient__state",
                               "code", "coder")
               .order_by("answer__response__recipient__state__name_en", "answer__question__order",
                         "answer__question_id", "code__order", "code_id", "-final",
                         "coder_id"))
    for coding in codings:
        state = coding.answer.response.recipient.state
        coder = coding.coder.get_full_name() or coding.coder.get_username()
        _append(sheet, [state.name_en, state.iso3, coding.answer.question.code,
                        coding.code.key, coding.code.label, coder,
                        _("yes") if coding.final else _("no"), coding.excerpt,
                        _day(coding.created_at)])
    _widths(sheet, [28, 6, 22, 18, 40, 18, 7, 60, 12])


def _status(sheet, *, questionnaire, as_of):
    _header(sheet, [_("State"), _("ISO3"), _("Region"), _("Status"), _("Invited"),
                    _("Reminders"), _("Reply received"), _("Received through"),
                    _("Declined on"), _("Last contact"), _("Outcome"), _("Reply promised by")])
    sheet.freeze_panes = "B2"
    for row in recipient_statuses(questionnaire=questionnaire, as_of=as_of):
        _append(sheet, [row.state.name_en, row.state.iso3, row.state.region, row.label,
                        _day(row.invited_at), row.reminder_count, row.replied_on,
                        row.reply_channel_label, row.declined_on, _day(row.last_contact_at),
                        row.last_contact_outcome_label, row.promised_by])
    _widths(sheet, [28, 6, 10, 20, 12, 10, 14, 16, 12, 12, 18, 14])


# --- the workbook ------------------------------------------------------------------------


def report_images(*, questionnaire: Questionnaire, as_of: dt.date | None = None,
                  map_date: dt.date | None = None) -> dict[str, bytes]:
    """The two figures of the report as PNG: ``map`` (as of ``map_date``) and ``timeline``."""
    day = tallies.tally_date(questionnaire=questionnaire, as_of=as_of)
    map_date = map_date or day
    return {
        "map": maps.replies_map(questionnaire=questionnaire, as_of=map_date, fmt="png"),
        "timeline": charts.replies_timeline(questionnaire=questionnaire, fmt="png",
                                            map_date=map_date if map_date != day else None),
    }


def report_workbook(*, questionnaire: Questionnaire, as_of: dt.date | None = None,
                    map_date: dt.date | None = None,
                    images: dict[str, bytes] | None = None) -> bytes:
    """The report workbook (.xlsx bytes), counted as of ``as_of`` (default: the cut-off).

    The map shows the replies received by ``map_date`` (default: the same date), as
    A/63/269 counted replies to 15 July but mapped those of 30 June. Pass ``images``
    (from :func:`report_images`) to reuse figures already drawn.
    """
    day = tallies.tally_date(questionnaire=questionnaire, as_of=as_of)
    map_date = map_date or day
    images = images or report_images(questionnaire=questionnaire, as_of=day, map_date=map_date)
    with tallies.one_reading():  # the tallies below share one reading of the data
        figures = tallies.participation(questionnaire=questionnaire, as_of=day)
        sentence = phrasing.participation_sentence(questionnaire=questionnaire, as_of=day)
        sentences = phrasing.view_sentences(questionnaire=questionnaire, as_of=day)
        overall = tallies.code_tally(questionnaire=questionnaire, as_of=day)
        by_region = tallies.code_tally(questionnaire=questionnaire, as_of=day, by="region")

    workbook = Workbook()
    _summary(workbook.active, questionnaire=questionnaire, figures=figures, sentence=sentence,
             views=sentences, map_png=images["map"], timeline_png=images["timeline"],
             map_date=map_date)
    _participation(workbook.create_sheet("Participation"), figures=figures)
    _views(workbook.create_sheet("Views"), table=overall, sentences=sentences)
    _views_by_region(workbook.create_sheet("Views by region"), table=by_region,
                     overall=overall)
    _replies(workbook.create_sheet("Replies"), questionnaire=questionnaire, as_of=day)
    _codings(workbook.create_sheet("Codings"), questionnaire=questionnaire, as_of=day)
    _status(workbook.create_sheet("Status"), questionnaire=questionnaire, as_of=day)
    workbook.properties.creator = "Inquiry"
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_filename(*, questionnaire: Questionnaire, as_of: dt.date | None = None) -> str:
    # The code is restricted to letters, digits, "_", "-" and "." (safe in a header).
    day = tallies.tally_date(questionnaire=questionnaire, as_of=as_of)
    return f"{questionnaire.code}-report-{day:%Y-%m-%d}.xlsx"

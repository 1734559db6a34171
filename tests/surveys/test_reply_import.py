"""Replies imported from a spreadsheet: the same data as a reply saved by staff, all or nothing.

Real .xlsx files (openpyxl) and .csv files are written to tmp_path and read through
the shared reader. The admin screen is exercised through the test client on an admin
site of this module (``urlpatterns`` below) that routes ``import/`` on the Response
admin to the view, as the Response admin does.
"""

from __future__ import annotations

import csv
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import path
from openpyxl import Workbook

from surveys.admin.reply_import import import_directory, reply_import_view
from surveys.models import (
    Answer,
    Choice,
    Question,
    Questionnaire,
    Response,
    ResponseVersion,
    State,
)
from surveys.services.questionnaires import question_ensure_yes_no_choices
from surveys.services.recipients import recipients_add
from surveys.services.reply_cells import InvalidCell, parse_date, parse_number
from surveys.services.reply_import import responses_import
from surveys.services.responses import response_save

# --- an admin site routing import/ on the Response admin, as surveys/admin/responses.py does ----


class _ResponseAdmin(admin.ModelAdmin):
    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="surveys_response_import"), *super().get_urls()]

    def import_view(self, request):
        return reply_import_view(self, request)


_site = admin.AdminSite(name="admin")
_site.register(Response, _ResponseAdmin)
urlpatterns = [path("admin/", _site.urls)]
IMPORT_URL = "/admin/surveys/response/import/"

# --- a questionnaire with one question of each type ---------------------------------------------

HEADER = ["country", "received_on", "channel", "language", "views", "useful", "follow_up",
          "themes", "meetings", "next_date"]
LABELS = {
    "forum": {"en": "The Global Forum", "fr": "Le Forum mondial"},
    "agenda": {"en": "The General Assembly's agenda", "fr": "L'ordre du jour de l'Assemblée"},
    "dialogue": {"en": "A new high-level dialogue", "fr": "Un nouveau dialogue"},
}


@pytest.fixture
def questionnaire(db):
    questionnaire = Questionnaire.objects.create(
        code="HLD-2008", title={"en": "Follow-up", "fr": "Suivi"},
        deadline=datetime.date(2008, 4, 30), status=Questionnaire.Status.OPEN)
    add = questionnaire.questions.create
    add(order=1, code="views", type=Question.Type.TEXT, required=True,
        text={"en": "Your views"})
    useful = add(order=2, code="useful", type=Question.Type.YES_NO, text={"en": "Useful?"})
    question_ensure_yes_no_choices(question=useful)
    for code, kind in (("follow_up", Question.Type.SINGLE), ("themes", Question.Type.MULTIPLE)):
        question = add(order=3 if kind == Question.Type.SINGLE else 4, code=code, type=kind,
                       text={"en": code})
        Choice.objects.bulk_create(Choice(question=question, order=n, value=value, label=label)
                                   for n, (value, label) in enumerate(LABELS.items()))
    add(order=5, code="meetings", type=Question.Type.NUMBER, text={"en": "Meetings held"})
    add(order=6, code="next_date", type=Question.Type.DATE, text={"en": "Next meeting"})
    add(order=7, code="letter", type=Question.Type.FILE, text={"en": "Your letter"})
    return questionnaire


@pytest.fixture
def recipients(registry, questionnaire):
    iso3 = ["FRA", "DEU", "SEN", "BRA", "CIV", "MEX", "KEN", "JPN"]
    recipients_add(questionnaire=questionnaire, states=[registry[code] for code in iso3])
    return registry


def write_xlsx(path: Path, rows: list[list], header=HEADER) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_csv(path: Path, rows: list[list], header=HEADER) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([header, *rows])
    return path


FIVE_STATES = [
    # country in assorted spellings, received on, channel, language, then the answers
    ["Allemagne", datetime.date(2008, 4, 20), "E-mail", "", "Keep the item on the agenda.",
     "Yes", "forum", "forum; agenda", 3, datetime.date(2008, 10, 27)],
    ["sen", "2008-04-28", "Fax", "Français", "Le Forum est utile.", "Oui",
     "Le Forum mondial", "forum, dialogue", "1 234,5", "27/10/2008"],
    ["76", "30/04/2008", "letter", "es", "El Foro es útil.", "Sí", "agenda", "", "12,5", ""],
    ["Côte d’Ivoire", datetime.date(2008, 5, 2), "", "", "Regional meetings.",
     "no opinion", "", "AGENDA;Le Forum mondial", "", ""],
    ["MEX", datetime.date(2008, 5, 5), "portal", "en", "More time is needed.", "No", "dialogue",
     "dialogue", 0, datetime.date(2009, 1, 1)],
]


def five_states(tmp_path, name="replies.xlsx", rows=None):
    return write_xlsx(tmp_path / name, rows or FIVE_STATES)


def answers_of(state) -> dict[str, tuple[str, object]]:
    response = Response.objects.get(recipient__state=state)
    return {a.question.code: (a.text, a.value)
            for a in response.answers.select_related("question")}


def history_counts() -> tuple[int, int]:
    return Response.history.count(), Answer.history.count()


# --- a sheet that imports -----------------------------------------------------------------------


def test_five_states_in_assorted_spellings_import_as_submitted_replies(recipients, questionnaire,
                                                                      tmp_path):
    outcome = responses_import(questionnaire=questionnaire, source=five_states(tmp_path))

    assert outcome.ok, outcome.problems
    assert (outcome.total, outcome.new, outcome.updated, outcome.unchanged) == (5, 5, 0, 0)
    assert outcome.written
    got = {r.recipient.state.iso3: r for r in Response.objects.select_related("recipient__state")}
    assert set(got) == {"DEU", "SEN", "BRA", "CIV", "MEX"}
    assert {iso3: (r.status, r.channel, r.language, r.received_on, r.version)
            for iso3, r in got.items()} == {
        "DEU": ("submitted", "email", "en", datetime.date(2008, 4, 20), 1),
        "SEN": ("submitted", "fax", "fr", datetime.date(2008, 4, 28), 1),
        "BRA": ("submitted", "letter", "es", datetime.date(2008, 4, 30), 1),
        "CIV": ("submitted", "import", "en", datetime.date(2008, 5, 2), 1),
        "MEX": ("submitted", "portal", "en", datetime.date(2008, 5, 5), 1),
    }
    senegal = answers_of(recipients["SEN"])
    assert senegal == {
        "views": ("Le Forum est utile.", None),
        "useful": ("Oui", ["yes"]),
        "follow_up": ("Le Forum mondial", ["forum"]),
        "themes": ("Le Forum mondial; Un nouveau dialogue", ["forum", "dialogue"]),
        "meetings": ("1234.5", "1234.5"),
        "next_date": ("2008-10-27", "2008-10-27"),
    }
    # Several choices come back in the questionnaire's order, whatever the sheet's.
    assert answers_of(recipients["CIV"])["themes"] == (
        "The Global Forum; The General Assembly's agenda", ["forum", "agenda"])
    assert answers_of(recipients["CIV"])["useful"] == ("No opinion", ["no_opinion"])
    assert answers_of(recipients["BRA"])["meetings"] == ("12.5", "12.5")
    assert answers_of(recipients["BRA"])["themes"] == ("", None)
    version = ResponseVersion.objects.get(response__recipient__state=recipients["SEN"])
    assert (version.number, version.channel, version.language, version.received_on) == (
        1, "fax", "fr", datetime.date(2008, 4, 28))
    assert version.answers == {code: {"text": text, "value": value}
                               for code, (text, value) in senegal.items()}
    assert version.note == "Imported from replies.xlsx."
    assert Response.history.count() == 5


def test_an_imported_reply_has_the_shape_of_a_reply_saved_by_staff(recipients, questionnaire,
                                                                   tmp_path):
    """The same answers, through response_save for France and the sheet for Senegal."""
    data = {"views": "Le Forum est utile.", "useful": "yes", "follow_up": "forum",
            "themes": ["forum", "dialogue"], "meetings": Decimal("1234.5"),
            "next_date": datetime.date(2008, 10, 27)}
    saved = response_save(recipient=recipients["FRA"].recipients.get(), data=data,
                          language="fr", submit=True, channel=Response.Channel.FAX,
                          received_on=datetime.date(2008, 4, 28))
    responses_import(questionnaire=questionnaire, source=five_states(tmp_path))

    imported = Response.objects.get(recipient__state=recipients["SEN"])
    assert answers_of(recipients["SEN"]) == answers_of(recipients["FRA"])
    assert imported.versions.get().answers == saved.version.answers
    fields = ["status", "channel", "language", "received_on", "version"]
    assert [getattr(imported, f) for f in fields] == [getattr(saved.response, f) for f in fields]


def test_a_csv_file_imports_too(recipients, questionnaire, tmp_path):
    rows = [[str(cell) if isinstance(cell, datetime.date) else cell for cell in row]
            for row in FIVE_STATES]
    outcome = responses_import(questionnaire=questionnaire,
                               source=write_csv(tmp_path / "replies.csv", rows))
    assert outcome.ok, outcome.problems
    assert outcome.new == 5
    assert answers_of(recipients["DEU"])["meetings"] == ("3", "3")


def test_an_escaped_cell_of_an_export_comes_back_unchanged(recipients, questionnaire, tmp_path):
    """Exports put a quote before = + - @ (formula injection); the import takes it off."""
    rows = [["FRA", "2008-04-20", "", "", "'=1+1", "yes", "", "", "'-5", ""],
            ["DEU", "2008-04-20", "", "", "'@mission", "yes", "", "", "", ""]]
    responses_import(questionnaire=questionnaire,
                     source=write_xlsx(tmp_path / "export.xlsx", rows))
    assert answers_of(recipients["FRA"])["views"] == ("=1+1", None)
    assert answers_of(recipients["FRA"])["meetings"] == ("-5", "-5")
    assert answers_of(recipients["DEU"])["views"] == ("@mission", None)
    # The same cells from a CSV file are the same answers; a quote before anything else
    # is part of the text.
    outcome = responses_import(questionnaire=questionnaire, dry_run=True,
                               source=write_csv(tmp_path / "export.csv", [
                                   *rows, ["SEN", "2008-04-20", "", "", "'quoted'", "", "", "",
                                           "", ""]]))
    assert [row.action for row in outcome.rows] == ["unchanged", "unchanged", "new"]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_an_inquiry_export_imports_again_unchanged(recipients, questionnaire, tmp_path, suffix):
    """The wide export (surveys.services.reply_export) read back: nothing changes."""
    from surveys.services.reply_export import replies_export

    responses_import(questionnaire=questionnaire, source=five_states(tmp_path))
    letter = SimpleUploadedFile("letter.pdf", b"%PDF-1.4 letter", content_type="application/pdf")
    response_save(recipient=recipients["KEN"].recipients.get(), language="en", submit=True,
                  data={"views": "=1+1 is not a formula", "meetings": Decimal("-2.5"),
                        "letter": letter}, channel=Response.Channel.EMAIL,
                  received_on=datetime.date(2008, 4, 30))
    exported = tmp_path / f"export.{suffix}"
    assert replies_export(questionnaire=questionnaire, path=exported) == 6
    before = history_counts(), ResponseVersion.objects.count()

    outcome = responses_import(questionnaire=questionnaire, source=exported)

    assert outcome.ok, (outcome.file_errors, outcome.problems)
    assert (outcome.new, outcome.updated, outcome.unchanged) == (0, 0, 6)
    assert (history_counts(), ResponseVersion.objects.count()) == before


def test_two_country_columns_must_name_the_same_state(recipients, questionnaire, tmp_path):
    header = ["State", "ISO3", "received_on", "views"]
    outcome = responses_import(questionnaire=questionnaire, source=write_xlsx(
        tmp_path / "a.xlsx", [["France", "FRA", "2008-04-20", "v"],
                              ["Germany", "AUT", "2008-04-20", "v"]], header=header))
    assert [str(p) for p in outcome.problems] == [
        "Row 2 (line 3 of the sheet): State names Germany but ISO3 names Austria."]


def test_a_question_code_wins_over_another_name_of_a_column(recipients, questionnaire, tmp_path):
    questionnaire.questions.create(order=9, code="date", type=Question.Type.DATE,
                                   text={"en": "Date of the law"})
    outcome = responses_import(questionnaire=questionnaire, source=write_xlsx(
        tmp_path / "a.xlsx", [["FRA", "2008-04-20", "v", "2001-01-01"]],
        header=["country", "received_on", "views", "date"]))
    assert outcome.ok, (outcome.file_errors, outcome.problems)
    assert answers_of(recipients["FRA"])["date"] == ("2001-01-01", "2001-01-01")

    questionnaire.questions.create(order=10, code="channel", type=Question.Type.TEXT,
                                   text={"en": "Channel"})
    outcome = responses_import(questionnaire=questionnaire, source=write_xlsx(
        tmp_path / "b.xlsx", [["FRA", "2008-04-20", "v", "fax"]],
        header=["country", "received_on", "views", "channel"]))
    assert "Column “channel” could be the reply's channel or the answer to question channel" \
        in outcome.file_errors[0]


def test_bytes_with_a_long_file_name(recipients, questionnaire, tmp_path):
    name = "replies received from the regional commissions " * 4 + ".xlsx"
    outcome = responses_import(questionnaire=questionnaire, filename=name,
                               source=five_states(tmp_path).read_bytes())
    assert outcome.ok and outcome.new == 5
    assert ResponseVersion.objects.first().note == f"Imported from {name}."
    assert len(Response.history.first().history_change_reason) == 100


def test_a_column_without_a_name_is_refused_where_it_holds_something(recipients, questionnaire,
                                                                     tmp_path):
    outcome = responses_import(questionnaire=questionnaire, source=write_xlsx(
        tmp_path / "a.xlsx", [["FRA", "2008-04-20", "", "v"], ["DEU", "2008-04-20", "note", "v"]],
        header=["country", "received_on", None, "views"]))
    assert [str(p) for p in outcome.problems] == [
        "Row 2 (line 3 of the sheet): Column C has no name but holds “note”."]


def test_a_draft_reply_becomes_the_first_submitted_version(recipients, questionnaire, tmp_path):
    recipient = recipients["SEN"].recipients.get()
    response_save(recipient=recipient, data={"views": "brouillon", "meetings": Decimal(7)},
                  language="fr", submit=False)
    outcome = responses_import(questionnaire=questionnaire, source=five_states(tmp_path))
    assert (outcome.new, outcome.updated) == (5, 0)
    response = Response.objects.get(recipient=recipient)
    assert (response.status, response.version, response.versions.count()) == ("submitted", 1, 1)
    assert answers_of(recipients["SEN"])["views"] == ("Le Forum est utile.", None)
    assert response.answers.count() == 6  # the draft's answers were updated, not doubled


# --- importing again ----------------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(recipients, questionnaire, tmp_path):
    source = five_states(tmp_path)
    responses_import(questionnaire=questionnaire, source=source)
    before = history_counts(), ResponseVersion.objects.count()

    outcome = responses_import(questionnaire=questionnaire, source=source)

    assert outcome.ok
    assert (outcome.new, outcome.updated, outcome.unchanged) == (0, 0, 5)
    assert (history_counts(), ResponseVersion.objects.count()) == before
    assert set(Response.objects.values_list("version", flat=True)) == {1}


def test_changing_one_answer_creates_version_2_for_that_state_only(recipients, questionnaire,
                                                                   tmp_path):
    responses_import(questionnaire=questionnaire, source=five_states(tmp_path))
    answers_before = Answer.history.count()
    rows = [list(row) for row in FIVE_STATES]
    rows[1][5] = "Non"  # Senegal now says no
    outcome = responses_import(questionnaire=questionnaire,
                               source=five_states(tmp_path, "amended.xlsx", rows))

    assert (outcome.new, outcome.updated, outcome.unchanged) == (0, 1, 4)
    versions = dict(Response.objects.values_list("recipient__state__iso3", "version"))
    assert versions == {"DEU": 1, "SEN": 2, "BRA": 1, "CIV": 1, "MEX": 1}
    senegal = Response.objects.get(recipient__state=recipients["SEN"])
    first, second = senegal.versions.order_by("number")
    assert first.answers["useful"] == {"text": "Oui", "value": ["yes"]}  # never changed
    assert second.answers["useful"] == {"text": "Non", "value": ["no"]}
    assert second.answers["views"] == first.answers["views"]
    assert Answer.history.count() == answers_before + 1  # only the answer that changed


def test_received_on_keeps_the_first_date_unless_the_sheet_gives_an_earlier_one(
        recipients, questionnaire, tmp_path):
    row = ["KEN", "2008-04-20", "", "", "views", "", "", "", "", ""]
    responses_import(questionnaire=questionnaire, source=write_csv(tmp_path / "a.csv", [row]))
    later = responses_import(questionnaire=questionnaire,
                             source=write_csv(tmp_path / "b.csv", [[row[0], "2008-05-01",
                                                                    *row[2:]]]))
    assert later.unchanged == 1  # the same answers, later: nothing new arrived
    earlier = responses_import(questionnaire=questionnaire,
                               source=write_csv(tmp_path / "c.csv", [[row[0], "2008-04-02",
                                                                      *row[2:]]]))
    assert earlier.updated == 1
    response = Response.objects.get(recipient__state=recipients["KEN"])
    assert (response.received_on, response.version) == (datetime.date(2008, 4, 2), 2)
    changed = ["KEN", "2008-05-10", "", "", "new views", "", "", "", "", ""]
    responses_import(questionnaire=questionnaire, source=write_csv(tmp_path / "d.csv", [changed]))
    response.refresh_from_db()
    assert response.received_on == datetime.date(2008, 4, 2)  # first arrival kept
    assert response.versions.get(number=3).received_on == datetime.date(2008, 5, 10)


def test_a_reply_from_the_portal_is_unchanged_by_a_sheet_without_channel(recipients,
                                                                         questionnaire, tmp_path):
    response_save(recipient=recipients["KEN"].recipients.get(),
                  data={"views": "From the portal", "useful": "no"}, language="en",
                  submit=True, received_on=datetime.date(2008, 4, 1))
    outcome = responses_import(questionnaire=questionnaire, source=write_xlsx(
        tmp_path / "a.xlsx", [["Kenya", "2008-04-01", "From the portal", "No"]],
        header=["Country", "Received on", "views", "useful"]))
    assert (outcome.unchanged, outcome.updated) == (1, 0)
    assert Response.objects.get().channel == Response.Channel.PORTAL


# --- a sheet with a bad row imports nothing -----------------------------------------------------


def good_row(country, **changes):
    row = dict(zip(HEADER, ["", "2008-04-20", "", "", "views", "yes", "forum", "agenda", "1",
                            ""], strict=True))
    return list({**row, "country": country, **changes}.values())


@pytest.mark.parametrize(("write", "suffix"), [(write_xlsx, "xlsx"), (write_csv, "csv")])
def test_a_problem_names_the_line_staff_see_even_below_blank_lines(recipients, questionnaire,
                                                                   tmp_path, write, suffix):
    rows = [good_row("FRA"), [""] * len(HEADER), [""] * len(HEADER), good_row("Atlantis")]
    outcome = responses_import(questionnaire=questionnaire,
                               source=write(tmp_path / f"gaps.{suffix}", rows))
    # Excel shows the header on line 1, France on 2, two blank lines, Atlantis on line 5.
    assert [str(p).split(":")[0] for p in outcome.problems] == ["Row 2 (line 5 of the sheet)"]


BAD_ROWS = {
    "unknown State": (good_row("Atlantis"), "Unknown country “Atlantis”"),
    "not a recipient": (good_row("Peru"), "Peru is not a recipient of HLD-2008."),
    "bad date": (good_row("KEN", received_on="31/02/2008"),
                 "received_on: “31/02/2008” is not a date"),
    "future date": (good_row("KEN", received_on="2999-01-01"),
                    "received_on: 2999-01-01 is in the future."),
    "bad choice": (good_row("KEN", follow_up="maybe"), "follow_up: “maybe”: not among the "
                   "choices (forum, agenda, dialogue"),
    "bad choice among several": (good_row("KEN", themes="forum; nothing"),
                                 "themes: “nothing”: not among the choices"),
    "required empty": (good_row("KEN", views=""), "views: an answer is required."),
    "duplicate State": (good_row("France"), "France is already on row 1."),
    "bad number": (good_row("KEN", meetings="three"), "meetings: “three” is not a number."),
    "ambiguous number": (good_row("KEN", meetings="1,234"), "could be read two ways"),
    "bad answer date": (good_row("KEN", next_date="April"), "next_date: “April” is not a date"),
    "unknown channel": (good_row("KEN", channel="pigeon"), "“pigeon” is not a channel"),
    "unknown language": (good_row("KEN", language="Klingon"),
                         "“Klingon” is not a UN language."),
}


@pytest.mark.parametrize("kind", list(BAD_ROWS))
def test_one_bad_row_imports_nothing_and_names_the_row(recipients, questionnaire, tmp_path, kind):
    bad, reason = BAD_ROWS[kind]
    rows = [good_row("FRA"), good_row("DEU"), bad, good_row("MEX")]
    outcome = responses_import(questionnaire=questionnaire,
                               source=write_xlsx(tmp_path / "bad.xlsx", rows))

    assert not outcome.ok
    assert not outcome.written
    assert Response.objects.count() == 0 and ResponseVersion.objects.count() == 0
    assert [p.row for p in outcome.problems] == [3]
    message = str(outcome.problems[0])
    assert message.startswith("Row 3 (line 4 of the sheet): ")
    assert reason in message, message
    assert outcome.summary().startswith("Nothing imported")


def test_every_bad_row_is_listed_with_every_problem(recipients, questionnaire, tmp_path):
    rows = [good_row("FRA"), good_row("Atlantis", received_on="yesterday"),
            good_row("KEN", views="", follow_up="maybe", meetings="x"), good_row("Peru"),
            good_row("République française")]
    outcome = responses_import(questionnaire=questionnaire,
                               source=write_xlsx(tmp_path / "bad.xlsx", rows))

    assert [p.row for p in outcome.problems] == [2, 3, 4, 5]
    assert [len(p.messages) for p in outcome.problems] == [2, 3, 1, 1]
    assert "France is already on row 1." in outcome.problems[3].messages
    assert Response.objects.count() == 0


def test_answers_to_file_questions_are_refused(recipients, questionnaire, tmp_path):
    outcome = responses_import(questionnaire=questionnaire, source=write_xlsx(
        tmp_path / "a.xlsx", [["FRA", "2008-04-20", "v", "letter.pdf"], ["DEU", "2008-04-20", "v",
                                                                         ""]],
        header=["country", "received_on", "views", "letter"]))
    assert [p.row for p in outcome.problems] == [1]
    assert "letter: answers to file questions cannot be imported" in str(outcome.problems[0])


def test_a_language_the_questionnaire_does_not_offer_is_refused(recipients, questionnaire,
                                                                tmp_path):
    questionnaire.languages = ["en", "fr"]
    questionnaire.save()
    outcome = responses_import(questionnaire=questionnaire, source=write_xlsx(
        tmp_path / "a.xlsx", [good_row("FRA", language="Русский")]))
    assert "language: HLD-2008 is not offered in Russian." in str(outcome.problems[0])


# --- columns ------------------------------------------------------------------------------------


def test_unknown_columns_are_refused_and_named(recipients, questionnaire, tmp_path):
    outcome = responses_import(questionnaire=questionnaire, source=write_xlsx(
        tmp_path / "a.xlsx", [good_row("FRA") + ["x", "y"]], header=HEADER + ["Q7b", "remarks"]))
    assert not outcome.ok
    assert "Unknown columns: “Q7b”, “remarks”." in outcome.file_errors[0]
    assert Response.objects.count() == 0


def test_synonyms_and_case_of_headers(recipients, questionnaire, tmp_path):
    header = ["Member State", "Date received", "Received through", "Language of the original",
              "VIEWS", "Useful"]
    outcome = responses_import(questionnaire=questionnaire, source=write_xlsx(
        tmp_path / "a.xlsx", [["Japan", "20/04/2008", "Letter", "French", "Oui", "Oui"]],
        header=header))
    assert outcome.ok, outcome.problems
    response = Response.objects.get()
    assert (response.channel, response.language) == ("letter", "fr")
    assert answers_of(recipients["JPN"])["useful"] == ("Oui", ["yes"])


@pytest.mark.parametrize(("header", "error"), [
    (["received_on", "views"], "The sheet has no “country” column."),
    (["country", "views"], "The sheet has no “received_on” column."),
    (["country", "received_on", "useful"], "no column for the required question views"),
    (["country", "received_on", "views", "Views"], "Two columns mean “views”"),
])
def test_missing_and_doubled_columns_are_refused(recipients, questionnaire, tmp_path, header,
                                                 error):
    outcome = responses_import(questionnaire=questionnaire, source=write_xlsx(
        tmp_path / "a.xlsx", [["FRA", "2008-04-20", "x", "y"][:len(header)]], header=header))
    assert any(error in e for e in outcome.file_errors), outcome.file_errors
    assert Response.objects.count() == 0


def test_an_unreadable_file_is_a_file_error(questionnaire, tmp_path):
    path = tmp_path / "replies.xlsx"
    path.write_bytes(b"not a workbook")
    outcome = responses_import(questionnaire=questionnaire, source=path)
    assert outcome.file_errors == ["The file is not an Excel workbook (.xlsx)."]


# --- cells --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "number"), [
    ("1 234,5", "1234.5"), ("1\u202f234,5", "1234.5"), ("1\u2009234.5", "1234.5"),
    ("1,234.5", "1234.5"), ("1.234,5", "1234.5"), ("1,234,567", "1234567"), ("12,5", "12.5"),
    ("0,125", "0.125"), ("-3", "-3"), ("1.234", "1.234"), (7, "7"), (2.5, "2.5"),
])
def test_numbers_with_a_decimal_point_or_comma_and_thin_spaces(text, number):
    assert parse_number(text) == Decimal(number)


@pytest.mark.parametrize("text", ["1,234", "three", "NaN", "Infinity", "1_000", "1,2,3", "", True])
def test_what_is_not_a_number(text):
    with pytest.raises(InvalidCell):
        parse_number(text)


@pytest.mark.parametrize("cell", [
    "2008-04-30", "30/04/2008", "30.04.2008", "2008-04-30 00:00:00", datetime.date(2008, 4, 30),
    datetime.datetime(2008, 4, 30, 0, 0),
])
def test_dates_as_cells_or_text(cell):
    assert parse_date(cell) == datetime.date(2008, 4, 30)


@pytest.mark.parametrize("cell", ["04/30/2008", "2008-02-30", "30 April 2008", 39568, "2008"])
def test_what_is_not_a_date(cell):
    with pytest.raises(InvalidCell):
        parse_date(cell)


@pytest.mark.parametrize(("cell", "value"), [
    ("Oui", "yes"), ("NON", "no"), ("Sí", "yes"), ("Да", "yes"), ("نعم", "yes"), ("是", "yes"),
    ("sans opinion", "no_opinion"), ("No opinion", "no_opinion"), ("no_opinion", "no_opinion"),
    (True, "yes"),
])
def test_yes_and_no_in_the_six_languages(recipients, questionnaire, tmp_path, cell, value):
    responses_import(questionnaire=questionnaire, source=write_xlsx(
        tmp_path / "a.xlsx", [good_row("FRA", useful=cell)]))
    assert answers_of(recipients["FRA"])["useful"][1] == [value]


# --- the command --------------------------------------------------------------------------------


def test_the_command_imports_and_prints_a_summary(recipients, questionnaire, tmp_path, capsys):
    call_command("import_responses", "hld-2008", str(five_states(tmp_path)))
    assert "5 rows imported: 5 new, 0 updated, 0 unchanged." in capsys.readouterr().out
    assert Response.objects.count() == 5


def test_the_command_dry_run_writes_nothing(recipients, questionnaire, tmp_path, capsys):
    call_command("import_responses", "HLD-2008", str(five_states(tmp_path)), "--dry-run")
    assert "would be imported (dry run)" in capsys.readouterr().out
    assert Response.objects.count() == 0


def test_the_command_fails_listing_every_problem(recipients, questionnaire, tmp_path, capsys):
    source = write_xlsx(tmp_path / "bad.xlsx", [good_row("FRA"), good_row("Atlantis")])
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_responses", "HLD-2008", str(source))
    assert "Row 2 (line 3 of the sheet): Unknown country “Atlantis”" in capsys.readouterr().err
    assert Response.objects.count() == 0
    with pytest.raises(CommandError, match="No questionnaire has the code “XYZ”"):
        call_command("import_responses", "XYZ", str(source))


def test_the_command_exits_non_zero_when_refused(recipients, questionnaire, tmp_path):
    from django.core.management import ManagementUtility

    source = write_xlsx(tmp_path / "bad.xlsx", [good_row("Atlantis")])
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "import_responses", "HLD-2008", str(source)]).execute()
    assert exit_info.value.code != 0


# --- queries ------------------------------------------------------------------------------------


def _many_recipients(questionnaire, count: int) -> list[State]:
    """``count`` recipients: the registry's States, then made-up ones beyond 195."""
    states = list(State.objects.order_by("m49")[:count])
    letters = [f"{a}{b}" for a in "QXZ" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
    taken = set(State.objects.values_list("iso2", flat=True))
    free = [code for code in letters if code not in taken]
    made = [State(iso2=code, iso3=f"{code}X", m49=990 - n, name_ar=f"Testland {n}",
                  name_zh=f"Testland {n}", name_en=f"Testland {n}", name_fr=f"Testland {n}",
                  name_ru=f"Testland {n}", name_es=f"Testland {n}", formal_name_ar="x",
                  formal_name_zh="x", formal_name_en=f"Republic of Testland {n}",
                  formal_name_fr="x", formal_name_ru="x", formal_name_es="x",
                  region="Test", subregion="Test")
            for n, code in enumerate(free[:max(0, count - len(states))])]
    states += State.objects.bulk_create(made)
    recipients_add(questionnaire=questionnaire, states=states)
    return states


# Measured: a dry run and a re-import of an unchanged file run 8 statements (6 SELECTs:
# States, questions, choices, recipients, replies, answers; plus a savepoint) for 10 rows
# as for 200. A first import adds one INSERT per table and batch: 5 for 10 rows; for 200
# rows (1,400 answers) 28 on SQLite, whose statements take at most 999 parameters, and 9
# on PostgreSQL (batches of 500 rows).


def _queries(questionnaire, source, **kwargs):
    with CaptureQueriesContext(connection) as queries:
        outcome = responses_import(questionnaire=questionnaire, source=source, **kwargs)
    assert outcome.ok, outcome.problems[:3]
    return [_verb(q["sql"]) for q in queries.captured_queries]


def _verb(sql: str) -> str:
    """INSERT, SELECT...: a statement's verb. Rows written as one prepared statement are
    logged "1200 times: INSERT ..." (executemany, as Django logs it) or "1200 rows: COPY
    ..." (PostgreSQL): one statement each, and COPY is an INSERT."""
    words = sql.split(None, 3)
    if len(words) > 2 and words[1] in ("times:", "rows:"):
        words = words[2:]
    return {"COPY": "INSERT"}.get(words[0].upper(), words[0].upper())


def test_the_number_of_queries_does_not_grow_with_the_rows(registry, questionnaire, tmp_path):
    states = _many_recipients(questionnaire, 210)
    counts = {}
    for n, chosen in ((10, states[200:]), (200, states[:200])):
        rows = [good_row(s.iso3, themes="forum; dialogue", meetings=n) for s in chosen]
        source = write_xlsx(tmp_path / f"{n}.xlsx", rows)
        dry = _queries(questionnaire, source, dry_run=True)
        first = _queries(questionnaire, source)
        again = _queries(questionnaire, source)
        counts[n] = (dry, first, again)

    dry10, first10, again10 = counts[10]
    dry200, first200, again200 = counts[200]
    # Reads: States, questions, choices, recipients, replies, answers (and a savepoint).
    assert dry10 == dry200 == again10 == again200
    assert dry10.count("SELECT") == 6 and "INSERT" not in again200  # unchanged: no write
    # Writes: one INSERT per table (replies, their history, answers, their history,
    # versions) per batch of rows, never one per row. SQLite takes at most 999 parameters
    # a statement, so 200 rows (1,400 answers and their history) take a few batches.
    assert [q for q in first10 if q != "INSERT"] == [q for q in first200 if q != "INSERT"]
    assert first10.count("INSERT") == 5
    assert first200.count("INSERT") <= (30 if connection.vendor == "sqlite" else 9)
    print(f"\nqueries on {connection.vendor}, 10 / 200 rows: dry run {len(dry10)} / {len(dry200)}, "
          f"import {len(first10)} / {len(first200)}, again {len(again10)} / {len(again200)}")


# --- the admin screen ---------------------------------------------------------------------------


def upload(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes())


@pytest.mark.urls(__name__)
def test_the_admin_previews_then_imports_on_confirm(admin_client, recipients, questionnaire,
                                                    tmp_path):
    page = admin_client.get(IMPORT_URL)
    assert page.status_code == 200
    assert "Upload a sheet of replies" in page.content.decode()

    preview = admin_client.post(IMPORT_URL, {"questionnaire": questionnaire.pk,
                                             "file": upload(five_states(tmp_path))})
    content = preview.content.decode()
    assert preview.status_code == 200
    assert "5 rows would be imported (dry run): 5 new, 0 updated, 0 unchanged." in content
    assert "Côte d&#x27;Ivoire" in content and "Fax" in content and "2008-04-28" in content
    assert 'name="confirm"' in content
    assert Response.objects.count() == 0
    stored = list(import_directory().iterdir())
    assert len(stored) == 1 and stored[0].suffix == ".xlsx"
    assert preview.context["pending"] == stored[0].name

    # A file name other than the one of this session's preview is refused.
    refused = admin_client.post(IMPORT_URL, {"confirm": "1", "file": "0" * 32 + ".xlsx"})
    assert refused.status_code == 302 and Response.objects.count() == 0
    assert not list(import_directory().iterdir())  # the pending file was discarded

    preview = admin_client.post(IMPORT_URL, {"questionnaire": questionnaire.pk,
                                             "file": upload(five_states(tmp_path))})
    done = admin_client.post(IMPORT_URL, {"confirm": "1", "file": preview.context["pending"]},
                             follow=True)
    assert done.status_code == 200
    assert "5 rows imported: 5 new" in done.content.decode()
    assert Response.objects.count() == 5
    assert set(Response.objects.values_list("entered_by__username", flat=True)) == {"admin"}
    assert not list(import_directory().iterdir())  # the file is deleted once imported

    # Confirming twice imports once.
    again = admin_client.post(IMPORT_URL, {"confirm": "1", "file": preview.context["pending"]},
                              follow=True)
    assert "no longer valid" in again.content.decode()
    assert ResponseVersion.objects.count() == 5


@pytest.mark.urls(__name__)
def test_cancelling_a_preview_deletes_the_waiting_file(admin_client, recipients, questionnaire,
                                                       tmp_path):
    preview = admin_client.post(IMPORT_URL, {"questionnaire": questionnaire.pk,
                                             "file": upload(five_states(tmp_path))})
    assert preview.context["pending"]
    cancelled = admin_client.post(IMPORT_URL, {"cancel": "1", "file": preview.context["pending"]},
                                  follow=True)
    assert "Import cancelled: nothing was imported." in cancelled.content.decode()
    assert not list(import_directory().iterdir())
    assert Response.objects.count() == 0


@pytest.mark.urls(__name__)
def test_the_admin_preview_lists_every_problem_and_offers_no_confirm(admin_client, recipients,
                                                                     questionnaire, tmp_path):
    rows = [good_row("FRA"), good_row("Atlantis"), good_row("KEN", follow_up="maybe")]
    preview = admin_client.post(IMPORT_URL, {"questionnaire": questionnaire.pk,
                                             "file": upload(write_xlsx(tmp_path / "b.xlsx",
                                                                       rows))})
    content = preview.content.decode()
    assert "Nothing imported: 2 problems in 3 rows." in content
    assert "Unknown country “Atlantis”" in content
    assert "follow_up: “maybe”: not among the choices" in content
    assert 'name="confirm"' not in content
    assert "Upload a corrected file" in content
    assert not list(import_directory().iterdir())
    assert Response.objects.count() == 0


@pytest.mark.urls(__name__)
def test_the_admin_refuses_an_unknown_column_and_a_wrong_file_type(admin_client, recipients,
                                                                   questionnaire, tmp_path):
    source = write_xlsx(tmp_path / "a.xlsx", [good_row("FRA") + ["x"]], header=HEADER + ["Q7b"])
    content = admin_client.post(IMPORT_URL, {"questionnaire": questionnaire.pk,
                                             "file": upload(source)}).content.decode()
    assert "Unknown column: “Q7b”" in content and 'name="confirm"' not in content
    text = tmp_path / "replies.txt"
    text.write_text("country")
    response = admin_client.post(IMPORT_URL, {"questionnaire": questionnaire.pk,
                                              "file": upload(text)})
    assert response.context["form"].errors["file"]


@pytest.mark.urls(__name__)
def test_the_admin_screen_needs_the_add_response_permission(client, recipients, questionnaire,
                                                            tmp_path):
    staff = User.objects.create_user("clerk", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_response"))
    client.force_login(staff)
    assert client.get(IMPORT_URL).status_code == 403
    response = client.post(IMPORT_URL, {"questionnaire": questionnaire.pk,
                                        "file": upload(five_states(tmp_path))})
    assert response.status_code == 403
    assert Response.objects.count() == 0

    staff.user_permissions.add(Permission.objects.get(codename="add_response"))
    staff = User.objects.get(pk=staff.pk)  # permissions are cached on the instance
    client.force_login(staff)
    assert client.get(IMPORT_URL).status_code == 200


def test_the_response_admin_routes_import_to_this_view(admin_client):
    """Once surveys/admin/responses.py registers the Response admin, its import/ is here."""
    from django.contrib.admin import site
    from django.urls import NoReverseMatch, reverse

    if not site.is_registered(Response):
        pytest.skip("the Response admin is not registered yet")
    try:
        url = reverse("admin:surveys_response_import")
    except NoReverseMatch:
        pytest.skip("the Response admin does not route import/ yet")
    assert "Upload a sheet of replies" in admin_client.get(url).content.decode()

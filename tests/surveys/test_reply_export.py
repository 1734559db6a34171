"""Exports of the replies: wide and long, .xlsx and .csv, as of a date, formula-safe.

The round: France replies on 20 April and amends on 20 July; Senegal replies on
10 June, Japan on 10 July, Brazil on 20 July; Spain has only a draft. Deadline
30 April, cut-off 15 July. Files are read back as a spreadsheet program would.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from surveys.models import Response, ResponseVersion
from surveys.services.recipients import recipients_add
from surveys.services.reply_export import (
    csv_chunks,
    replies_long,
    replies_wide,
    write_csv,
    write_xlsx,
)
from surveys.services.responses import response_save
from tests.surveys.test_questionnaires import make_questionnaire
from tests.surveys.test_staff_entry import _bulk_replies, private_media  # noqa: F401

D = datetime.date
WIDE_HEADER = ["State", "ISO3", "Region", "Sub-region", "LDC", "LLDC", "SIDS", "Received on",
               "Received through", "Timing", "Language", "Version", "contact", "forum_useful",
               "forum_role", "ideas", "views", "migrants", "adopted_on", "letter"]
LONG_HEADER = ["State", "ISO3", "Region", "Question", "Question text", "Answer", "Value",
               "Received on", "Version"]
# Every prefix that could make a spreadsheet run a formula, as some State might type it.
FORMULAS = {"FRA": ("=HYPERLINK(\"http://x\")", "+33 1 23"), "SEN": ("-2+3", "@SUM(A1:A9)"),
            "JPN": ("\tcmd", "\rcalc")}
NUMBER = re.compile(r"-?\d+(\.\d+)?")


@pytest.fixture
def questionnaire(db):
    return make_questionnaire()


@pytest.fixture
def round_2008(registry, questionnaire):
    recipients_add(questionnaire=questionnaire,
                   states=[registry[c] for c in ("FRA", "SEN", "JPN", "BRA", "ESP")])
    r = {x.state.iso3: x for x in questionnaire.recipients.select_related("state")}

    def reply(iso3, day, *, language="en", channel="fax", **answers):
        return response_save(recipient=r[iso3], data={"forum_useful": "yes", **answers},
                             language=language, submit=True, channel=channel, received_on=day)

    reply("FRA", D(2008, 4, 20), language="fr", contact="Mission", views="Utile.",
          ideas=["agenda", "regional"], migrants=Decimal("-1500"), adopted_on=D(2007, 5, 1))
    reply("SEN", D(2008, 6, 10), channel="letter", contact="Dakar", views="Useful.")
    reply("JPN", D(2008, 7, 10), channel="email", contact="Tokyo", views="Useful too.")
    reply("BRA", D(2008, 7, 20), contact="Brasília", views="Late but useful.",
          forum_role="sole")
    reply("FRA", D(2008, 7, 20), language="fr", contact="Mission", views="Utile, amendé.",
          ideas=["agenda"], migrants=Decimal("-1500"), adopted_on=D(2007, 5, 1))
    response_save(recipient=r["ESP"], data={"views": "borrador"}, language="es", submit=False)
    # Texts as a State might send them, straight into the latest versions (the reply
    # form strips leading blanks, an import might not).
    for iso3, (contact, views) in FORMULAS.items():
        version = ResponseVersion.objects.filter(response__recipient=r[iso3]) \
            .order_by("-number").first()
        version.answers["contact"]["text"], version.answers["views"]["text"] = contact, views
        version.save()
    return r


def read_xlsx(content: bytes):
    sheet = load_workbook(io.BytesIO(content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    return sheet, rows[0], rows[1:]


def read_csv(content: bytes):
    assert content.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    return rows[0], rows[1:]


def to_bytes(write, table) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    count = write(table, buffer)
    return buffer.getvalue(), count


def by_iso3(header, rows) -> dict[str, dict]:
    return {row[1]: dict(zip(header, row, strict=True)) for row in rows}


# --- wide -----------------------------------------------------------------------------------------


def test_wide_xlsx_has_a_row_per_replying_state(questionnaire, round_2008):
    content, count = to_bytes(write_xlsx, replies_wide(questionnaire=questionnaire))
    sheet, header, rows = read_xlsx(content)

    assert header == WIDE_HEADER
    assert [row[0] for row in rows] == ["Brazil", "France", "Japan", "Senegal"]  # no draft
    assert count == 4
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    fra, sen, bra = (by_iso3(header, rows)[c] for c in ("FRA", "SEN", "BRA"))
    assert fra["Received on"] == datetime.datetime(2008, 4, 20)  # the first arrival
    assert sheet["H2"].number_format == "yyyy-mm-dd"
    assert (fra["Version"], fra["Language"], fra["Received through"]) == (2, "fr", "Fax")
    assert fra["Timing"] == "By the deadline"
    assert sen["Timing"] == "After the deadline, by the cut-off"
    assert bra["Timing"] == "After the cut-off"
    assert (sen["Region"], sen["Sub-region"], sen["LDC"], sen["SIDS"]) == \
        ("Africa", "Sub-Saharan Africa", True, False)
    assert fra["forum_useful"] == "Oui" and bra["forum_useful"] == "Yes"
    assert fra["ideas"] == "Garder le point à l'ordre du jour"
    assert bra["forum_role"] == "The sole follow-up"
    assert fra["migrants"] == -1500  # a number, not a text starting with "-"
    assert fra["adopted_on"] == datetime.datetime(2007, 5, 1)
    assert sen["views"] == "'@SUM(A1:A9)"


def test_every_formula_prefix_is_neutralised(questionnaire, round_2008):
    for write, read in ((write_xlsx, lambda c: read_xlsx(c)[1:]), (write_csv, read_csv)):
        header, rows = read(to_bytes(write, replies_wide(questionnaire=questionnaire))[0])
        cells = by_iso3(header, rows)
        for iso3, texts in FORMULAS.items():
            # XML, hence .xlsx, reads a carriage return back as a line feed.
            assert [cells[iso3][code].replace("\r", "\n") for code in ("contact", "views")] \
                == ["'" + text.replace("\r", "\n") for text in texts]
        long_header, long_rows = read(to_bytes(write,
                                               replies_long(questionnaire=questionnaire))[0])
        answers = {str(row[5]).replace("\r", "\n") for row in long_rows}
        for texts in FORMULAS.values():
            assert {"'" + text.replace("\r", "\n") for text in texts} <= answers
        for row in rows + long_rows:
            for cell in row:
                # A number answer (-1500) is written as a number: it cannot run as a formula.
                text = isinstance(cell, str) and not NUMBER.fullmatch(cell)
                assert not (text and cell.startswith(tuple("=+-@\t\r"))), cell


def test_wide_csv(questionnaire, round_2008):
    content, count = to_bytes(write_csv, replies_wide(questionnaire=questionnaire))
    header, rows = read_csv(content)

    assert header == WIDE_HEADER and count == 4
    fra = by_iso3(header, rows)["FRA"]
    assert (fra["State"], fra["Received on"], fra["LDC"], fra["Version"]) == \
        ("France", "2008-04-20", "FALSE", "2")
    assert fra["migrants"] == "-1500" and fra["adopted_on"] == "2007-05-01"
    assert by_iso3(header, rows)["BRA"]["contact"] == "Brasília"  # UTF-8 kept
    assert b"".join(csv_chunks(replies_wide(questionnaire=questionnaire))) == content


# --- long -----------------------------------------------------------------------------------------


def test_long_xlsx_has_a_row_per_answer(questionnaire, round_2008):
    content, count = to_bytes(write_xlsx, replies_long(questionnaire=questionnaire))
    sheet, header, rows = read_xlsx(content)

    assert header == LONG_HEADER and sheet.freeze_panes == "A2"
    assert count == len(rows)
    fra = [row for row in rows if row[1] == "FRA"]
    assert [row[3] for row in fra] == ["contact", "forum_useful", "ideas", "views", "migrants",
                                       "adopted_on"]  # the form's order; no empty answers
    ideas = next(row for row in fra if row[3] == "ideas")
    assert ideas[4] == "Which follow-up would you support?"  # in the main language
    assert (ideas[5], ideas[6]) == ("Garder le point à l'ordre du jour", '["agenda"]')
    assert (ideas[7], ideas[8]) == (datetime.datetime(2008, 4, 20), 2)
    migrants = next(row for row in fra if row[3] == "migrants")
    assert (migrants[5], migrants[6]) == (-1500, -1500)  # numbers, not formulas
    assert {row[1] for row in rows} == {"FRA", "SEN", "JPN", "BRA"}


def test_long_csv(questionnaire, round_2008):
    content, count = to_bytes(write_csv, replies_long(questionnaire=questionnaire))
    header, rows = read_csv(content)
    assert header == LONG_HEADER and count == len(rows) == 6 + 3 + 3 + 4  # FRA, SEN, JPN, BRA
    useful = [row for row in rows if row[3] == "forum_useful"]
    assert {(row[1], row[5], row[6]) for row in useful} == {
        ("FRA", "Oui", '["yes"]'), ("SEN", "Yes", '["yes"]'), ("JPN", "Yes", '["yes"]'),
        ("BRA", "Yes", '["yes"]')}


# --- as of a date -------------------------------------------------------------------------------


def test_as_of_gives_the_replies_received_by_then_as_they_stood(questionnaire, round_2008):
    def wide(as_of):
        header, rows = read_csv(to_bytes(write_csv, replies_wide(questionnaire=questionnaire,
                                                                 as_of=as_of))[0])
        return by_iso3(header, rows)

    assert set(wide(D(2008, 4, 30))) == {"FRA"}
    by_june = wide(D(2008, 6, 30))
    assert set(by_june) == {"FRA", "SEN"}
    assert (by_june["FRA"]["Version"], by_june["FRA"]["views"]) == ("1", "Utile.")
    by_cutoff = wide(D(2008, 7, 15))
    assert set(by_cutoff) == {"FRA", "SEN", "JPN"}
    latest = wide(None)
    assert (latest["FRA"]["Version"], latest["FRA"]["views"]) == ("2", "'+33 1 23")

    long_rows = list(replies_long(questionnaire=questionnaire, as_of=D(2008, 6, 30)).rows)
    assert {row[1] for row in long_rows} == {"FRA", "SEN"}
    assert ["FRA", "ideas", '["agenda", "regional"]'] in [[r[1], r[3], r[6]] for r in long_rows]


def test_queries_do_not_grow_with_the_replies(questionnaire, round_2008, registry):
    def count(build):
        with CaptureQueriesContext(connection) as context:
            rows = list(build(questionnaire=questionnaire, as_of=D(2008, 12, 31)).rows)
        return len(context), len(rows)

    few = count(replies_wide), count(replies_long)
    _bulk_replies(questionnaire, sorted(registry.values(), key=lambda s: s.iso3)[:80])
    many = count(replies_wide), count(replies_long)
    assert [n for n, _rows in few] == [n for n, _rows in many] == [5, 5]
    assert many[0][1] > few[0][1] + 70


# --- the command ----------------------------------------------------------------------------------


def test_command_writes_the_file_chosen(questionnaire, round_2008, tmp_path):
    out = io.StringIO()
    call_command("export_responses", "HLD-2008", str(tmp_path / "wide.xlsx"), stdout=out)
    assert "4 rows written" in out.getvalue()
    _sheet, header, rows = read_xlsx((tmp_path / "wide.xlsx").read_bytes())
    assert header == WIDE_HEADER and len(rows) == 4

    out = io.StringIO()
    call_command("export_responses", "HLD-2008", str(tmp_path / "long.csv"), "--long",
                 "--as-of", "2008-06-30", stdout=out)
    header, rows = read_csv((tmp_path / "long.csv").read_bytes())
    assert header == LONG_HEADER and {row[1] for row in rows} == {"FRA", "SEN"}
    assert f"{len(rows)} rows written" in out.getvalue()


@pytest.mark.parametrize(("args", "message"), [
    (["NOPE", "x.xlsx"], "No questionnaire"),
    (["HLD-2008", "x.ods"], "use .xlsx or .csv"),
    (["HLD-2008", "x.csv", "--as-of", "30/06/2008"], "YYYY-MM-DD"),
])
def test_command_errors(questionnaire, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CommandError, match=message):
        call_command("export_responses", *args)


# --- the admin ------------------------------------------------------------------------------------


def export_url(questionnaire, layout, file_format, **params):
    query = {"questionnaire": questionnaire.pk, "layout": layout, "format": file_format,
             **params}
    return reverse("admin:surveys_response_export") + "?" + "&".join(
        f"{k}={v}" for k, v in query.items())


def test_admin_exports_all_replies(admin_client, questionnaire, round_2008):
    got = admin_client.get(export_url(questionnaire, "wide", "xlsx", as_of="2008-07-15"))
    assert got.status_code == 200
    assert 'filename="HLD-2008-replies-wide-as-of-2008-07-15.xlsx"' in got["Content-Disposition"]
    _sheet, header, rows = read_xlsx(b"".join(got.streaming_content))
    assert {row[1] for row in rows} == {"FRA", "SEN", "JPN"}

    got = admin_client.get(export_url(questionnaire, "long", "csv"))
    assert got["Content-Type"].startswith("text/csv")
    header, rows = read_csv(b"".join(got.streaming_content))
    assert header == LONG_HEADER and {row[1] for row in rows} == {"FRA", "SEN", "JPN", "BRA"}

    assert admin_client.get(export_url(questionnaire, "sideways", "csv")).status_code == 404

    changelist = admin_client.get(reverse("admin:surveys_response_changelist"), {
        "recipient__questionnaire__id__exact": questionnaire.pk, "as_of": "2008-06-30"})
    page = changelist.content.decode()
    assert "Export all replies to HLD-2008 received by 30 June 2008" in page
    assert f"questionnaire={questionnaire.pk}&amp;as_of=2008-06-30&amp;layout=wide&amp;" \
        "format=xlsx" in page


def test_admin_exports_the_selected_replies(admin_client, questionnaire, round_2008):
    changelist = reverse("admin:surveys_response_changelist")
    chosen = Response.objects.filter(recipient__state__iso3__in=["SEN", "JPN", "ESP"])
    got = admin_client.post(changelist, {"action": "export_wide_csv", "index": "0",
                                         "_selected_action": [r.pk for r in chosen]})
    header, rows = read_csv(b"".join(got.streaming_content))
    assert [row[1] for row in rows] == ["JPN", "SEN"]  # the draft is not a reply

    got = admin_client.post(changelist + "?as_of=2008-06-30", {
        "action": "export_long_xlsx", "index": "0",
        "_selected_action": [r.pk for r in chosen]})
    _sheet, _header, rows = read_xlsx(b"".join(got.streaming_content))
    assert {row[1] for row in rows} == {"SEN"}


def test_selected_replies_of_two_questionnaires_are_refused(admin_client, questionnaire,
                                                            round_2008, registry):
    other = make_questionnaire("OTHER-2009")
    recipients_add(questionnaire=other, states=[registry["DEU"]])
    response_save(recipient=other.recipients.get(), data={"views": "x", "forum_useful": "no"},
                  language="en", submit=True, channel="email", received_on=D(2009, 1, 5))
    got = admin_client.post(reverse("admin:surveys_response_changelist"), {
        "action": "export_wide_xlsx", "index": "0",
        "_selected_action": list(Response.objects.values_list("pk", flat=True))}, follow=True)
    assert "Select the replies to one questionnaire" in got.content.decode()


def test_without_permission_there_is_no_export(client, django_user_model, questionnaire,
                                               round_2008):
    user = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_questionnaire"))
    client.force_login(user)
    assert client.get(export_url(questionnaire, "wide", "csv")).status_code == 403
    posted = client.post(reverse("admin:surveys_response_changelist"), {
        "action": "export_wide_csv", "index": "0",
        "_selected_action": list(Response.objects.values_list("pk", flat=True))})
    assert posted.status_code == 403

    user.user_permissions.add(Permission.objects.get(codename="view_response"))
    assert client.get(export_url(questionnaire, "wide", "csv")).status_code == 200

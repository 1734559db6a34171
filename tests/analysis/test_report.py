"""The report: the workbook's seven sheets, the export command and the admin page."""

from __future__ import annotations

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from analysis import report
from surveys.cells import DANGEROUS_PREFIXES
from surveys.models import State
from tests.analysis.test_maps import (
    PNG_SIGNATURE,
    add_reminder,
    code_answers,
    make_case,
    make_codes,
    replies_2008,
    svg_fills,
)

D = datetime.date
URLS = "tests.analysis.urls_report_test"


@pytest.fixture
def coded(registry):
    """Four replies (three by the cut-off), two views, and an answer that looks like a
    formula."""
    replies = replies_2008(FRA=(D(2008, 4, 10), {"forum": "=1+1", "followup": "@SUM(A1)"}))
    questionnaire = make_case(registry, replies=replies, drafts=["CHN"])
    codes = make_codes(questionnaire)
    code_answers(questionnaire, codes, {"FRA": ["useful", "sole"], "SEN": ["useful"],
                                        "TUV": ["useful"], "BRA": ["useful", "sole"]},
                 excerpt="-the Forum is useful-")
    coder = get_user_model().objects.create(username="coder.one")
    code_answers(questionnaire, codes, {"SEN": ["sole"]}, final=False, coder=coder)
    add_reminder(questionnaire, D(2008, 4, 16))
    return questionnaire


def read(data: bytes):
    return load_workbook(io.BytesIO(data))


def rows(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_workbook_has_the_seven_sheets_with_charts_images_and_frozen_headers(coded):
    workbook = read(report.report_workbook(questionnaire=coded, as_of=D(2008, 6, 30)))

    assert workbook.sheetnames == ["Summary", "Participation", "Views", "Views by region",
                                   "Replies", "Codings", "Status"]
    assert len(workbook["Summary"]._images) == 2  # the map and the timeline
    assert workbook["Participation"]._charts and workbook["Views"]._charts
    for sheet in workbook:
        assert sheet.freeze_panes in ("A2", "B2", "C2"), sheet.title
        header = sheet["A1"]
        assert header.font.bold and header.fill.fgColor.rgb.endswith("1F5F99"), sheet.title


def test_views_count_the_final_coding_of_replies_received_by_the_date(coded):
    workbook = read(report.report_workbook(questionnaire=coded, as_of=D(2008, 6, 30)))

    views = rows(workbook["Views"])
    assert views[0][:7] == ["Key", "View", "States holding it", "Base (States that replied)",
                            "Share of respondents", "States asked", "Share of States asked"]
    by_key = {row[0]: row for row in views[1:]}
    # By 30 June: France, Senegal and Tuvalu had replied (Brazil came on 10 July); coder
    # one's "sole" for Senegal is not final, so it does not count.
    assert by_key["useful"][2:7] == [3, 3, 1, 5, 0.6]
    assert by_key["sole"][2:4] == [1, 3]
    assert by_key["sole"][7] == "one of the three respondents (1 of 3)"
    assert by_key["useful"][9] == "France, Senegal, Tuvalu"
    assert workbook["Views"]["E2"].number_format == "0%"

    participation = rows(workbook["Participation"])
    assert participation[1][:2] == ["States asked (recipients)", 5]
    assert participation[2][:2] == ["States that replied (respondents)", 3]
    assert participation[3][:2] == ["Replied by the deadline", 1]

    region = {row[0] or row[1]: row for row in rows(workbook["Views by region"])}
    assert region["Key"][2:] == ["Africa", "Americas", "Asia", "Europe", "Oceania",
                                 "All regions"]
    assert region["useful"][2:] == [1, 0, 0, 1, 1, 3]
    assert region["States that replied (base)"][2:] == [1, 0, 0, 1, 1, 3]

    replies = rows(workbook["Replies"])
    assert [row[0] for row in replies[1:]] == ["France", "Senegal", "Tuvalu"]

    codings = rows(workbook["Codings"])
    assert len(codings) == 1 + 5  # four final on the three replies, one by coder one
    assert {row[6] for row in codings[1:]} == {"yes", "no"}

    status = {row[0]: row for row in rows(workbook["Status"])[1:]}
    assert status["Brazil"][3] == "Not yet invited"  # its reply came after 30 June
    assert status["France"][3] == "Replied on time" and status["France"][6] == \
        datetime.datetime(2008, 4, 10)

    summary = {row[0]: row[1] for row in rows(workbook["Summary"])}
    assert summary["Deadline"] == datetime.datetime(2008, 4, 30)
    assert workbook["Summary"]["B6"].number_format == "yyyy-mm-dd"
    assert summary["Participation"] == "By 30 June 2008, three Member States had replied to the " \
                                       "questionnaire."
    assert summary["The Forum is useful"].startswith("All respondents (3 of 3)")


def test_every_text_cell_is_formula_safe(coded):
    workbook = read(report.report_workbook(questionnaire=coded))

    texts = [cell.value for sheet in workbook for row in sheet.iter_rows() for cell in row
             if isinstance(cell.value, str)]
    assert "'=1+1" in texts and "'@SUM(A1)" in texts and "'-the Forum is useful-" in texts
    assert not [t for t in texts if t.startswith(DANGEROUS_PREFIXES)]


def test_workbook_queries_do_not_grow_with_the_states(registry):
    answers = {"forum": "Useful.", "followup": "Keep it."}

    def case(code, count):
        states = sorted(registry)[:count]
        questionnaire = make_case(registry, code=code, states=states, replies={
            iso3: (D(2008, 4, 1) + datetime.timedelta(days=i), answers)
            for i, iso3 in enumerate(states)})
        codes = make_codes(questionnaire)
        code_answers(questionnaire, codes, {iso3: ["useful"] for iso3 in states})
        add_reminder(questionnaire, D(2008, 4, 16))
        return questionnaire

    small, large = case("FIVE", 5), case("FIFTY", 50)
    counts = []
    for questionnaire in (small, large):
        with CaptureQueriesContext(connection) as queries:
            data = report.report_workbook(questionnaire=questionnaire)
        counts.append(len(queries))
        assert read(data)["Views"]["C2"].value in (5, 50)
    assert counts[0] == counts[1]
    assert counts[1] <= 30


# --- the command ------------------------------------------------------------------------------


def test_export_report_writes_the_workbook_and_the_images(coded, tmp_path):
    out = io.StringIO()
    call_command("export_report", coded.code, "-o", str(tmp_path / "report.xlsx"),
                 "--map-date", "2008-06-30", "--images", str(tmp_path / "figures"),
                 stdout=out)

    workbook = load_workbook(tmp_path / "report.xlsx")
    assert workbook.sheetnames == list(report.SHEETS)
    assert any(sheet._charts for sheet in workbook)
    assert (tmp_path / "figures" / "map-2008-06-30.png").read_bytes().startswith(PNG_SIGNATURE)
    assert (tmp_path / "figures" / "timeline.png").read_bytes().startswith(PNG_SIGNATURE)
    printed = out.getvalue()
    assert "report.xlsx" in printed and "map-2008-06-30.png" in printed
    assert "as of 2008-07-15" in printed  # the cut-off, by default


def test_export_report_refuses_an_unknown_questionnaire_or_file_type(coded, tmp_path):
    with pytest.raises(CommandError, match="NOPE"):
        call_command("export_report", "NOPE", "-o", str(tmp_path / "r.xlsx"))
    with pytest.raises(CommandError, match="xlsx"):
        call_command("export_report", coded.code, "-o", str(tmp_path / "r.csv"))
    assert not list(tmp_path.iterdir())


def test_the_2008_case_as_in_a_63_269(registry, tmp_path):
    """Counted at the cut-off, 15 July 2008: 64 Member States, 61 of them finding the Forum
    useful, one in every six wanting it as the sole follow-up; mapped as of 30 June."""
    from analysis.demo import coding_2008_load
    from analysis.maps import map_states
    from surveys.demo.load import contacts_load, demo_2008_load
    from surveys.models import Response

    contacts_load()
    questionnaire = demo_2008_load()["questionnaire"]
    coding_2008_load(questionnaire)

    call_command("export_report", "HLD-2008", "-o", str(tmp_path / "A-63-269.xlsx"),
                 "--map-date", "2008-06-30", "--images", str(tmp_path), stdout=io.StringIO())

    workbook = load_workbook(tmp_path / "A-63-269.xlsx")
    summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(values_only=True)}
    assert summary["Participation"] == ("By 15 July 2008, 64 Member States had replied to the "
                                        "questionnaire.")
    views = {row[0]: row for row in workbook["Views"].iter_rows(values_only=True)}
    assert views["useful"][2:4] == (61, 64)
    assert views["sole_followup"][7] == "one in every six respondents (11 of 64)"
    by_june = Response.objects.filter(recipient__questionnaire=questionnaire,
                                      status=Response.Status.SUBMITTED,
                                      received_on__lte=D(2008, 6, 30)).count()
    assert len(map_states(questionnaire=questionnaire, as_of=D(2008, 6, 30))) == by_june < 64
    assert (tmp_path / "map-2008-06-30.png").stat().st_size > 20_000


# --- the admin page -----------------------------------------------------------------------------


def staff(*, can_read=True, username="reader"):
    user = get_user_model().objects.create_user(username, password="x", is_staff=True)
    if can_read:
        user.user_permissions.add(Permission.objects.get(codename="view_response",
                                                         content_type__app_label="surveys"))
    return user


@pytest.mark.urls(URLS)
def test_report_page_for_readers_only(coded, client):
    url = reverse("report:page", args=[coded.pk])
    assert client.get(url).status_code == 302  # to the login

    client.force_login(staff(can_read=False, username="clerk"))
    assert client.get(url).status_code == 403
    assert client.get(reverse("report:index")).status_code == 403

    client.force_login(staff())
    response = client.get(url, {"as_of": "2008-06-30"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "By 30 June 2008, three Member States had replied to the questionnaire." in page
    assert '<td class="phrase">all</td>' in page and "3 of 3" in page  # words and figures
    assert "All respondents (3 of 3) consider that the Forum is useful." in page
    assert 'id="views-by-region"' in page and 'id="participation-by-region"' in page
    assert reverse("report:chart", args=[coded.pk, "map", "svg"]) + "?as_of=2008-06-30" in page
    assert reverse("report:workbook", args=[coded.pk]) + "?as_of=2008-06-30" in page
    assert coded.code in client.get(reverse("report:index")).content.decode()


@pytest.mark.urls(URLS)
def test_charts_are_served_as_svg_and_png(coded, client):
    client.force_login(staff())

    response = client.get(reverse("report:chart", args=[coded.pk, "map", "svg"]),
                          {"as_of": "2008-07-15", "map_date": "2008-06-30"})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    fills = svg_fills(response.content)
    assert fills["m49-686"] == "#9e9e9e" and fills["m49-76"] == "#ffffff"  # 30 June

    for chart in ("timeline", "views"):
        response = client.get(reverse("report:chart", args=[coded.pk, chart, "svg"]))
        assert response.status_code == 200 and response.content.startswith(b"<?xml")
    response = client.get(reverse("report:chart", args=[coded.pk, "map", "png"]))
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(PNG_SIGNATURE)
    assert "HLD-2008" not in response["Content-Disposition"]
    assert f"{coded.code}-map-2008-07-15.png" in response["Content-Disposition"]


@pytest.mark.urls(URLS)
def test_workbook_download(coded, client):
    client.force_login(staff())
    response = client.get(reverse("report:workbook", args=[coded.pk]), {"as_of": "2008-06-30"})
    assert response.status_code == 200
    assert response["Content-Type"] == report.XLSX_MIME
    assert f"{coded.code}-report-2008-06-30.xlsx" in response["Content-Disposition"]
    assert read(response.content).sheetnames == list(report.SHEETS)


@pytest.mark.urls(URLS)
def test_report_page_queries_do_not_grow_with_the_states(registry, client):
    client.force_login(staff())
    answers = {"forum": "Useful."}
    counts = []
    for code, count in (("FIVE", 5), ("FIFTY", 50)):
        states = [s.iso3 for s in State.objects.order_by("iso3")[:count]]
        questionnaire = make_case(registry, code=code, states=states, replies={
            iso3: (D(2008, 4, 2), answers) for iso3 in states})
        codes = make_codes(questionnaire)
        code_answers(questionnaire, codes, {iso3: ["useful"] for iso3 in states[::2]})
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("report:page", args=[questionnaire.pk]))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]

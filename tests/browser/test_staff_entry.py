"""A secretariat officer enters a reply that came by fax, in a real browser."""

import os
from pathlib import Path

import pytest

from surveys.models import Response
from surveys.services.recipients import recipients_add
from tests.surveys.test_questionnaires import make_questionnaire

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_officer_enters_a_faxed_reply(page, live_server, staff_login, registry):
    questionnaire = make_questionnaire()
    recipients_add(questionnaire=questionnaire,
                   states=[registry[c] for c in ("FRA", "SEN", "JPN")])
    staff_login(page)

    page.goto(f"{live_server.url}/admin/surveys/response/")
    page.get_by_role("link", name="Enter a reply").click()
    page.select_option("#id_recipient", label="Senegal")
    page.get_by_role("button", name="Continue").click()

    page.check("#id_channel_1")  # Fax
    page.fill("#id_received_on", "2008-06-10")
    page.select_option("#id_language", label="French")
    page.set_input_files("#id_original", files=[{
        "name": "fax-senegal.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.fill("#id_answer-contact", "Mission permanente du Sénégal")
    page.check("#id_answer-forum_useful_0")  # Yes
    page.fill("#id_answer-views", "Le Forum mondial est un résultat utile du Dialogue.")
    page.get_by_role("button", name="Save the reply").click()

    page.wait_for_selector("#versions")
    assert "Senegal: version 1 recorded." in page.inner_text(".messagelist")
    assert "Version 1" in page.inner_text("#version-1 summary")
    assert "10 June 2008" in page.inner_text("#version-1 summary")
    assert "fax-senegal.pdf" in page.inner_text("#attachments")
    response = Response.objects.get()
    assert (response.channel, response.version, str(response.received_on)) == \
        ("fax", 1, "2008-06-10")
    if os.environ.get("INQUIRY_SCREENSHOTS"):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / "staff-entry.png"), full_page=True)

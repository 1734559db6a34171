"""The coding screen in a real browser, driven from the keyboard as a coder would."""

import os
from pathlib import Path

import pytest

from analysis.models import Coding
from analysis.services.coding import suggestions_refresh
from tests.analysis.test_codebook import make_codebook, make_survey, submitted_reply
from tests.analysis.test_coding import ARABIC, ENGLISH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def test_a_coder_ticks_codes_from_the_keyboard_saves_and_gets_the_next_uncoded_reply(
        page, live_server, staff_login, registry):
    questionnaire = make_survey()
    codes = make_codebook(questionnaire)
    egypt = submitted_reply(questionnaire, registry["EGY"], ARABIC, language="ar")
    britain = submitted_reply(questionnaire, registry["GBR"], ENGLISH)
    suggestions_refresh(questionnaire=questionnaire)
    staff_login(page)

    page.goto(f"{live_server.url}/admin/analysis/coding/replies/{questionnaire.pk}/")
    assert "You have coded 0 of 2 submitted replies." in page.inner_text("#content-main")
    page.get_by_role("link", name="Next uncoded reply").click()
    reply_url = f"{live_server.url}/admin/analysis/coding/replies/{questionnaire.pk}"
    page.wait_for_url(f"{reply_url}/{egypt.pk}/")
    assert page.locator("blockquote").first.get_attribute("dir") == "rtl"
    assert page.locator("li.suggested").count() == 1  # "نتيجة مفيدة" suggests "useful"

    # Tab to the first code of the first answer, then on to the next one, and tick it.
    first_answer = egypt.answers.get(question__code="forum_useful")
    forum = page.locator(f"#code-{first_answer.pk}-{codes['forum'].pk}")
    useful = page.locator(f"#code-{first_answer.pk}-{codes['useful'].pk}")
    page.locator("#keyboard-help").click()  # a neutral place before the form
    for _press in range(50):
        page.keyboard.press("Tab")
        if forum.evaluate("e => e === document.activeElement"):
            break
    assert forum.evaluate("e => e === document.activeElement")
    page.keyboard.press("Tab")
    assert useful.evaluate("e => e === document.activeElement")
    assert useful.evaluate("e => getComputedStyle(e).outlineStyle") != "none"  # visible focus
    page.keyboard.press("Space")
    assert useful.is_checked() and not forum.is_checked()
    # The excerpt box of a ticked code comes next; Enter there saves and moves on.
    page.keyboard.press("Tab")
    excerpt = page.locator(f"#excerpt-{first_answer.pk}-{codes['useful'].pk}")
    assert excerpt.evaluate("e => e === document.activeElement")
    page.keyboard.type("نتيجةٌ مفيدة")
    if os.environ.get("INQUIRY_SCREENSHOTS"):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / "coding.png"), full_page=True)
    page.keyboard.press("Enter")

    page.wait_for_url(f"{reply_url}/{britain.pk}/")
    assert "saved: 1 added" in page.inner_text(".messagelist")
    coding = Coding.objects.get()
    assert (coding.answer_id, coding.code_id, coding.coder.username, coding.final,
            coding.excerpt) == (first_answer.pk, codes["useful"].pk, "officer", False,
                                "نتيجةٌ مفيدة")

    # On the next reply: the number keys tick the codes of the answer in focus, and
    # Ctrl+Enter saves; no reply is left, so the list says so.
    answer = britain.answers.get(question__code="ga_followup")
    first = page.locator(f"#code-{answer.pk}-{codes['forum'].pk}")
    first.focus()
    page.keyboard.press("2")
    assert page.locator(f"#code-{answer.pk}-{codes['ga_agenda'].pk}").is_checked()
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"{reply_url}/")
    assert "You have coded every reply" in page.inner_text(".messagelist")
    assert Coding.objects.filter(answer=answer, code=codes["ga_agenda"]).exists()

"""The reply portal in a real browser: what an official at a mission sees and does."""

import os
from pathlib import Path

import pytest
from django.core.cache import cache

from surveys.models import Response
from tests.surveys.test_portal import (
    Q_USEFUL,
    make_portal_questionnaire,
    make_recipient,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


@pytest.fixture(autouse=True)
def _clear_throttle():
    cache.clear()


def screenshot(page, name):
    if os.environ.get("INQUIRY_SCREENSHOTS"):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / name), full_page=True)


def new_page(browser):
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def test_an_official_answers_in_french_saves_a_draft_comes_back_and_submits(
        page, browser, live_server, registry):
    questionnaire = make_portal_questionnaire()
    recipient, token = make_recipient(questionnaire, registry["GBR"], language="en")
    link = f"{live_server.url}/r/{token}/"

    page.goto(link)
    assert page.url == f"{live_server.url}/reply/"  # the token left the address bar
    assert token not in page.content()
    # The portal's style sheet is served and applied (the banner is the UN's dark blue).
    assert page.eval_on_selector(".banner", "e => getComputedStyle(e).backgroundColor") == \
        "rgb(0, 85, 140)"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"

    page.get_by_role("link", name="Français").click()
    assert page.evaluate("document.documentElement.lang") == "fr"
    page.get_by_label(Q_USEFUL["fr"], exact=False).fill("Oui : le Forum est un résultat utile.")
    page.get_by_label("Oui", exact=True).check()
    screenshot(page, "portal-fr.png")
    page.get_by_role("button", name="Enregistrer le brouillon").click()  # the page is French
    assert page.get_by_role("status").filter(
        has_text="Votre brouillon a été enregistré").is_visible()

    # Another day, another browser: the draft is on the server.
    later = new_page(browser)
    try:
        later.goto(link)
        field = later.get_by_label(Q_USEFUL["fr"], exact=False)
        assert field.input_value() == "Oui : le Forum est un résultat utile."
        assert later.get_by_label("Oui", exact=True).is_checked()
        later.get_by_role("button", name="Soumettre").click()
        assert later.url == f"{live_server.url}/reply/received/"
        confirmation = later.get_by_test_id("confirmation").inner_text()
        assert "Votre réponse a bien été reçue" in confirmation and "Version 1" in confirmation
        assert "pr@gbr.example.org" in later.content()
    finally:
        later.context.close()
    assert Response.objects.get(recipient=recipient).version == 1


def test_the_arabic_page_reads_right_to_left_and_states_see_only_their_own_reply(
        page, browser, live_server, registry):
    questionnaire = make_portal_questionnaire()
    _egypt, egypt_token = make_recipient(questionnaire, registry["EGY"], language="ar")
    _mexico, mexico_token = make_recipient(questionnaire, registry["MEX"], language="en")

    page.goto(f"{live_server.url}/r/{egypt_token}/")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "ar"
    label = page.locator("label[for=id_forum_useful]")
    assert label.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert Q_USEFUL["ar"] in label.inner_text()
    # Right to left: the question's label starts at the right edge of the field.
    field_box = page.locator("#id_forum_useful").bounding_box()
    label_box = label.bounding_box()
    assert abs((label_box["x"] + label_box["width"]) - (field_box["x"] + field_box["width"])) < 2
    page.fill("#id_forum_useful", "رد مصر")
    screenshot(page, "portal-ar.png")
    page.locator("button[value=draft]").click()

    mexico = new_page(browser)
    try:
        mexico.goto(f"{live_server.url}/r/{mexico_token}/")
        assert mexico.get_by_test_id("state-name").inner_text() == "Mexico"
        assert mexico.locator("#id_forum_useful").input_value() == ""
        assert "رد مصر" not in mexico.content()
    finally:
        mexico.context.close()
    # and the same browser, opening Mexico's link after Egypt's, now sees only Mexico's
    page.goto(f"{live_server.url}/r/{mexico_token}/")
    assert page.evaluate("document.documentElement.dir") == "ltr"
    assert "رد مصر" not in page.content()

"""The registry as a secretariat officer sees it in a real browser."""

import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def test_officer_filters_and_searches_the_states(page, live_server, staff_login, registry):
    staff_login(page)
    page.goto(f"{live_server.url}/admin/surveys/state/")
    assert "195 States" in page.inner_text("#changelist-form .paginator")

    page.get_by_role("link", name="Africa", exact=True).first.click()
    assert "54 States" in page.inner_text("#changelist-form .paginator")

    page.goto(f"{live_server.url}/admin/surveys/state/?q=Кот")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Côte d'Ivoire" in rows.first.inner_text()

    page.goto(f"{live_server.url}/admin/surveys/state/?group=sids&region=Oceania")
    text = page.inner_text("#result_list")
    assert "Tuvalu" in text and "Australia" not in text
    if os.environ.get("INQUIRY_SCREENSHOTS"):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / "registry-states.png"))

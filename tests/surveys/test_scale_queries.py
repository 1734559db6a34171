"""Admin pages at scale (issue #6, item 6): the status board, the replies list and the
report page run as many queries for 20,000 recipients as for the 195 States.

The 20,000 recipients are synthetic States (ISO3 codes with a digit, M49 from 1000)
written with one statement per table, as the benchmarks' generator writes them, so
the test takes seconds; most of it is rendering the board's 20,000 rows.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from surveys.models import Response
from surveys.services.bulk_writes import rows_insert
from tests.benchmarks.generator import (
    SEED,
    questionnaire_create,
    recipients_create,
    synthetic_states,
)

SCALE = 20_000


def _replies(recipient_ids: list[int]) -> None:
    """Two replies in three, received around the deadline (one statement)."""
    now = timezone.now()
    rows_insert(Response, ["recipient", "status", "channel", "language", "received_on",
                           "submitted_at", "entered_by", "version", "updated_at"],
                ((pk, "submitted", "email", "en", dt.date(2008, 4, 1) + dt.timedelta(n % 90),
                  now, None, 1, now) for n, pk in enumerate(recipient_ids) if n % 3))


@pytest.fixture
def two_scales(registry):
    small = questionnaire_create("SCALE-195")
    _replies(recipients_create(small, sorted(s.pk for s in registry.values())))
    big = questionnaire_create("SCALE-20000")
    _replies(recipients_create(big, synthetic_states(SCALE, random.Random(SEED))))
    return small, big


def _pages(questionnaire) -> list[str]:
    return [reverse("admin:surveys_questionnaire_status", args=[questionnaire.pk]),
            reverse("admin:surveys_response_changelist")
            + f"?recipient__questionnaire__id__exact={questionnaire.pk}",
            reverse("report:page", args=[questionnaire.pk])]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_admin_pages_run_the_same_queries_for_195_and_20000_recipients(admin_client,
                                                                       two_scales):
    small, big = two_scales
    assert big.recipients.count() == SCALE
    admin_client.get(_pages(small)[0])  # the session and the user, once
    at_195 = [_queries(admin_client, url) for url in _pages(small)]
    at_20000 = [_queries(admin_client, url) for url in _pages(big)]
    print(f"\nqueries (status board, replies list, report page): 195 recipients {at_195}, "
          f"{SCALE:,} recipients {at_20000}")
    assert at_195 == at_20000

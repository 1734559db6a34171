"""The demo coding reproduces paragraph 22 of A/63/269 from the reconciled coding."""

import pytest
from django.db.models import Count

from analysis.demo import EXCLUSIVE, coding_2008_load
from analysis.models import Coding
from surveys.demo import questionnaire_2008 as q2008
from surveys.demo.load import contacts_load, demo_2008_load


@pytest.fixture
def coded(registry):
    contacts_load()
    questionnaire = demo_2008_load()["questionnaire"]
    return questionnaire, coding_2008_load(questionnaire)


def _states_per_code(**filters):
    rows = (Coding.objects.filter(answer__response__received_on__lte=q2008.CUTOFF, **filters)
            .values_list("code__key")
            .annotate(n=Count("answer__response__recipient", distinct=True)))
    return dict(rows)


def test_final_coding_reproduces_paragraph_22(coded):
    final = _states_per_code(final=True)
    assert final["useful"] == 61
    assert final["no_opinion"] == 3
    assert final["sole_followup"] == 11  # one in every six of 64


def test_two_coders_disagree_a_little_and_keep_exclusive_groups(coded):
    questionnaire, summary = coded
    assert summary["disagreements"] > 0
    coders = set(Coding.objects.filter(final=False).values_list("coder__username", flat=True))
    assert coders == {"coder.one", "coder.two"}
    grouped = (Coding.objects.filter(code__key__in=list(EXCLUSIVE))
               .values("answer", "coder", "final").annotate(n=Count("id")))
    assert max(row["n"] for row in grouped) == 1


def test_loading_twice_adds_nothing(coded):
    questionnaire, _summary = coded
    count = Coding.objects.count()
    assert coding_2008_load(questionnaire) == {"skipped": True}
    assert Coding.objects.count() == count

"""Rows written as prepared SQL (surveys.services.bulk_writes) get the same history
records as django-simple-history's own bulk functions would give them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from surveys.models import Answer, Question, Questionnaire, Recipient, Response
from surveys.services.bulk_writes import history_insert, json_text, rows_insert, rows_update

COMPARED = ["text", "value", "question_id", "history_date", "history_type", "history_user_id",
            "history_change_reason"]


@pytest.fixture
def two_replies(registry):
    questionnaire = Questionnaire.objects.create(code="BULK", title={"en": "Bulk"})
    question = questionnaire.questions.create(code="views", type=Question.Type.TEXT,
                                              text={"en": "Views"})
    replies = []
    for n, iso3 in enumerate(["FRA", "SEN"]):
        recipient = Recipient.objects.create(questionnaire=questionnaire, state=registry[iso3],
                                             token_salt=str(n), token_hash=str(n))
        replies.append(Response.objects.create(recipient=recipient))
    return question, replies


def _record(answer_id):
    record = Answer.history.filter(id=answer_id).order_by("-history_id").values(
        "id", "response_id", "updated_at", *COMPARED).first()
    assert record is not None
    return record


def test_history_of_new_and_changed_rows_is_simple_historys(two_replies):
    question, (theirs, ours) = two_replies
    user = User.objects.create(username="importer")
    now = timezone.now()
    history = {"default_user": user, "default_date": now, "default_change_reason": "Imported."}

    reference = Answer(response=theirs, question=question, text="Useful.", value=["yes"],
                       updated_at=now)
    bulk_create_with_history([reference], Answer, **history)
    rows_insert(Answer, ["response_id", "question_id", "text", "value", "updated_at"],
                [(ours.pk, question.pk, "Useful.", json_text(["yes"]), now)])
    history_insert(Answer, [(ours.pk, question.pk)], key=("response_id", "question_id"),
                   history_type="+", date=now, user_id=user.pk, reason="Imported.")
    written = Answer.objects.get(response=ours)
    a, b = _record(reference.pk), _record(written.pk)
    assert {k: a[k] for k in COMPARED} == {k: b[k] for k in COMPARED}
    assert (b["id"], b["response_id"], b["history_type"]) == (written.pk, ours.pk, "+")
    assert b["updated_at"] == written.updated_at

    later = timezone.now()
    history["default_date"] = later
    reference.text, reference.value, reference.updated_at = "Not useful.", ["no"], later
    bulk_update_with_history([reference], Answer, ["text", "value", "updated_at"], **history)
    rows_update(Answer, ["text", "value", "updated_at"],
                [("Not useful.", json_text(["no"]), later, written.pk)])
    history_insert(Answer, [written.pk], history_type="~", date=later, user_id=user.pk,
                   reason="Imported.")
    a, b = _record(reference.pk), _record(written.pk)
    assert {k: a[k] for k in COMPARED} == {k: b[k] for k in COMPARED}
    assert b["history_type"] == "~" and Answer.objects.get(pk=written.pk).value == ["no"]
    assert Answer.history.filter(id=written.pk).count() == 2

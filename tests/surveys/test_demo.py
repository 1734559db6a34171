"""The 2008 demo case tells the story of A/63/269 with the services a live round uses."""

import datetime

import pytest
from django.core.management import call_command
from django.db.models import Count

from surveys.demo import questionnaire_2008 as q2008
from surveys.demo.load import demo_2008_load
from surveys.models import (
    Dispatch,
    FollowUp,
    Message,
    Questionnaire,
    Response,
    ResponseVersion,
)
from surveys.services.tokens import recipient_from_token, recipient_token


@pytest.fixture
def demo(registry, django_user_model):
    from surveys.demo.load import contacts_load

    contacts_load()
    user = django_user_model.objects.create_user("clerk", is_staff=True)
    story = demo_2008_load(user=user)
    return Questionnaire.objects.get(code=q2008.CODE), story


def _replied_by(questionnaire, day):
    return set(Response.objects.filter(
        recipient__questionnaire=questionnaire, status=Response.Status.SUBMITTED,
        received_on__lte=day).values_list("recipient_id", flat=True))


def test_195_recipients_each_with_a_working_link_and_a_faxed_invitation_with_copies(demo,
                                                                                  settings):
    questionnaire, _story = demo
    recipients = list(questionnaire.recipients.all())
    assert len(recipients) == 195
    # The 2008 links expired long ago (REPLY_LINK_GRACE_DAYS after the cut-off,
    # docs/security.md); pushed far enough, each opens its own reply.
    assert not any(recipient_from_token(recipient_token(r)) for r in recipients)
    settings.REPLY_LINK_GRACE_DAYS = 365 * 100
    assert all(recipient_from_token(recipient_token(r)) == r for r in recipients)

    invitation = questionnaire.dispatches.get(kind=Dispatch.Kind.INVITATION)
    assert invitation.channels == ["fax"]
    assert invitation.sent_on.date() == datetime.date(2008, 3, 18)
    faxes = invitation.messages.filter(channel=Message.Channel.FAX, status=Message.Status.SENT)
    per_role = dict(faxes.values_list("role").annotate(n=Count("id")))
    assert per_role == {Message.Role.TO: 195, Message.Role.COPY: 195}
    assert set(faxes.values_list("sent_at__date", flat=True)) == {datetime.date(2008, 3, 18)}


def test_64_replies_by_the_cutoff_fewer_by_30_june_from_several_channels(demo):
    questionnaire, story = demo
    assert len(_replied_by(questionnaire, q2008.CUTOFF)) == 64
    by_map_date = len(_replied_by(questionnaire, q2008.MAP_DATE))
    assert 0 < by_map_date < 64
    assert len(_replied_by(questionnaire, q2008.DEADLINE)) < by_map_date
    counted = Response.objects.filter(recipient__questionnaire=questionnaire,
                                      received_on__lte=q2008.CUTOFF)
    assert set(counted.values_list("channel", flat=True)) >= {"portal", "email", "fax", "letter"}
    assert set(counted.values_list("language", flat=True)) >= {"en", "fr", "es"}
    # Replies entered by staff record who typed them; portal replies do not.
    assert not counted.filter(channel="portal", entered_by__isnull=False).exists()
    assert not counted.exclude(channel="portal").filter(entered_by__isnull=True).exists()
    # Some reply was amended: two versions, both kept.
    assert ResponseVersion.objects.filter(number=2,
                                          response__recipient__questionnaire=questionnaire)


def test_reminders_and_calls_reach_only_states_without_a_reply_at_that_date(demo):
    questionnaire, story = demo
    reminders = questionnaire.dispatches.filter(kind=Dispatch.Kind.REMINDER)
    assert reminders.count() == len(q2008.REMINDER_DAYS)
    for wave in reminders:
        day = wave.sent_on.date()
        reminded = set(wave.messages.values_list("recipient_id", flat=True))
        assert reminded, f"no one reminded on {day}"
        assert not reminded & _replied_by(questionnaire, day)
        declined = set(questionnaire.recipients.filter(declined_on__lte=day)
                       .values_list("pk", flat=True))
        assert not reminded & declined

    calls = FollowUp.objects.filter(recipient__questionnaire=questionnaire)
    assert calls.count() > 20
    for call in calls.select_related("recipient"):
        assert call.recipient_id not in _replied_by(questionnaire, call.happened_at.date())
        assert abs((call.happened_at.date() - q2008.DEADLINE).days) <= 7
    assert calls.filter(outcome=FollowUp.Outcome.WILL_NOT_REPLY).count() == 3


def test_load_demo_command_twice_changes_nothing(registry, settings):
    settings.DEBUG = True
    call_command("load_demo", password="first-password-x")
    counts = (Questionnaire.objects.count(), Response.objects.count(), Message.objects.count())
    call_command("load_demo", password="second-password-x")
    assert (Questionnaire.objects.count(), Response.objects.count(),
            Message.objects.count()) == counts

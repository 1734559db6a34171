"""The follow-up log: calls, meetings and messages received about a State's reply.

Logging goes through here (the call list, the admin, scripts alike) so that what a
contact implies is recorded once: a State that says it will not reply is marked as
having declined, from the day it said so.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import Contact, FollowUp, Recipient
from surveys.services.recipients import recipients_decline


def followup_check(*, recipient: Recipient | None, contact: Contact | None, outcome: str | None,
                   promised_by: dt.date | None) -> None:
    """Refuse what the log cannot mean: a promise without a date, another State's contact."""
    errors = {}
    if outcome == FollowUp.Outcome.PROMISED and promised_by is None:
        errors["promised_by"] = _("Give the date by which a reply was promised.")
    if contact is not None and recipient is not None and contact.state_id != recipient.state_id:
        errors["contact"] = _("This contact is not of %(state)s.") % {"state": recipient.state}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def followup_save(*, follow_up: FollowUp) -> FollowUp:
    """Save a follow-up (new or edited) and apply what its outcome implies."""
    follow_up.full_clean()
    followup_check(recipient=follow_up.recipient, contact=follow_up.contact,
                   outcome=follow_up.outcome, promised_by=follow_up.promised_by)
    follow_up.save()
    if follow_up.outcome == FollowUp.Outcome.WILL_NOT_REPLY:
        _recipient_mark_declined(recipient=follow_up.recipient, follow_up=follow_up)
    return follow_up


def _recipient_mark_declined(*, recipient: Recipient, follow_up: FollowUp) -> None:
    # The first refusal dates the decline: a later call saying the same changes nothing.
    day = timezone.localdate(follow_up.happened_at)
    undeclined = Recipient.objects.filter(pk=recipient.pk, declined_on__isnull=True)
    if recipients_decline(recipients=undeclined, on=day, note=follow_up.note):
        recipient.declined_on, recipient.decline_note = day, follow_up.note


def followup_log(*, recipient: Recipient, happened_at: dt.datetime, channel: str, outcome: str,
                 staff=None, contact: Contact | None = None, spoke_with: str = "",
                 promised_by: dt.date | None = None, note: str = "") -> FollowUp:
    """Log one call, meeting or message received; "will not reply" also marks the decline."""
    follow_up = FollowUp(recipient=recipient, happened_at=happened_at, channel=channel,
                         outcome=outcome, staff=staff, contact=contact, spoke_with=spoke_with,
                         promised_by=promised_by, note=note)
    return followup_save(follow_up=follow_up)

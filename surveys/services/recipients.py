"""Choosing who receives a questionnaire, and each recipient's link, addressee and copies.

A *recipient* is one State's place in one questionnaire. Adding recipients is
idempotent (run it twice, nothing doubles) and runs a fixed number of queries
whatever the number of States: contacts are read once, recipients and their
copies are written in bulk.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.models import Contact, Questionnaire, Recipient, Response, State
from surveys.services.tokens import recipient_link, recipient_token_reset

# The groups a wave can be limited to, as the registry and the reports name them.
STATE_GROUPS = {
    "members": (_("Member States"), Q(status=State.Status.MEMBER)),
    "observers": (_("Non-member observer States"), Q(status=State.Status.OBSERVER)),
    "ldc": (_("Least developed countries (LDC)"), Q(is_ldc=True)),
    "lldc": (_("Landlocked developing countries (LLDC)"), Q(is_lldc=True)),
    "sids": (_("Small island developing States (SIDS)"), Q(is_sids=True)),
    "developed": (_("Developed"), Q(is_developed=True)),
    "developing": (_("Developing"), Q(is_developed=False)),
}

# Who a letter goes to when a State has several people: the first active one found.
ADDRESSEE_ROLES = [Contact.Role.PERMANENT_REPRESENTATIVE, Contact.Role.MISSION]
COPY_ROLES = [Contact.Role.FOCAL_POINT]


@dataclass
class RecipientsAdded:
    """What :func:`recipients_add` did, for the message staff read."""

    created: int = 0
    already: int = 0
    copies: int = 0
    without_addressee: list[State] = field(default_factory=list)


def states_select(*, states=None, region: str | None = None,
                  group: str | None = None) -> QuerySet[State]:
    """The States a questionnaire goes to: all 195 by default, or a region or group of them."""
    queryset = State.objects.all()
    if states is not None:
        ids = states.values("pk") if isinstance(states, QuerySet) else \
            [getattr(s, "pk", s) for s in states]
        queryset = queryset.filter(pk__in=ids)
    if region:
        queryset = queryset.filter(region=region)
    if group:
        if group not in STATE_GROUPS:
            raise ValueError(f"Unknown group {group!r}; choose one of {', '.join(STATE_GROUPS)}.")
        queryset = queryset.filter(STATE_GROUPS[group][1])
    return queryset


def contacts_by_state(state_ids: Iterable[int]) -> dict[int, list[Contact]]:
    """Active contacts of the given States, grouped by State (one query)."""
    grouped: dict[int, list[Contact]] = defaultdict(list)
    for contact in (Contact.objects.active().filter(state_id__in=list(state_ids))
                    .order_by("state_id", "-updated_at", "pk")):
        grouped[contact.state_id].append(contact)
    return grouped


def addressee_choose(contacts: list[Contact]) -> Contact | None:
    """The Permanent Representative if there is one, else the mission itself."""
    for role in ADDRESSEE_ROLES:
        for contact in contacts:
            if contact.role == role:
                return contact
    return None


def copies_choose(contacts: list[Contact]) -> list[Contact]:
    """Who receives a copy: the national focal points."""
    return [contact for contact in contacts if contact.role in COPY_ROLES]


@transaction.atomic
def recipients_add(*, questionnaire: Questionnaire, states=None, region: str | None = None,
                   group: str | None = None) -> RecipientsAdded:
    """Make the chosen States recipients of the questionnaire, each with a personal link.

    States that already are recipients are left as they are (staff may have changed
    their addressee), so the function can be run again safely.
    """
    chosen = list(states_select(states=states, region=region, group=group))
    existing = set(questionnaire.recipients.values_list("state_id", flat=True))
    missing = [state for state in chosen if state.pk not in existing]
    outcome = RecipientsAdded(already=len(chosen) - len(missing))
    if not missing:
        return outcome

    contacts = contacts_by_state(state.pk for state in missing)
    new = []
    copies: dict[int, list[Contact]] = {}
    for state in missing:
        recipient = Recipient(questionnaire=questionnaire, state=state,
                              addressee=addressee_choose(contacts[state.pk]))
        recipient_token_reset(recipient, save=False)
        if recipient.addressee is None:
            outcome.without_addressee.append(state)
        copies[state.pk] = copies_choose(contacts[state.pk])
        new.append(recipient)
    Recipient.objects.bulk_create(new)

    through = Recipient.copies.through
    links = [through(recipient_id=recipient.pk, contact_id=contact.pk)
             for recipient in new for contact in copies[recipient.state_id]]
    through.objects.bulk_create(links)
    outcome.created = len(new)
    outcome.copies = len(links)
    return outcome


def recipients_regenerate_links(*, recipients: Iterable[Recipient]) -> list[tuple[Recipient, str]]:
    """Give each recipient a new personal link; the old ones stop working at once.

    Returns the new links so they can be shown once to the member of staff who asked:
    they are derived from the secret key and never stored or logged.
    """
    recipients = list(recipients)
    for recipient in recipients:
        recipient_token_reset(recipient, save=False)
    Recipient.objects.bulk_update(recipients, ["token_salt", "token_hash", "token_created_at",
                                               "link_revoked"])
    return [(recipient, recipient_link(recipient)) for recipient in recipients]


def recipient_regenerate_link(*, recipient: Recipient) -> str:
    """A new personal link for one recipient (the old one stops working)."""
    return recipients_regenerate_links(recipients=[recipient])[0][1]


def recipients_decline(*, recipients: QuerySet[Recipient], on: datetime.date,
                       note: str = "") -> int:
    """Record that these States said they will not reply: they get no more reminders."""
    return recipients.update(declined_on=on, decline_note=note)


def recipient_decline(*, recipient: Recipient, on: datetime.date, note: str = "") -> Recipient:
    """Record that the State said it will not reply: it gets no more reminders."""
    recipients_decline(recipients=Recipient.objects.filter(pk=recipient.pk), on=on, note=note)
    recipient.declined_on, recipient.decline_note = on, note
    return recipient


def replied_exists(as_of: datetime.date | None = None) -> Exists:
    """For annotations and filters: the recipient has submitted a reply (by ``as_of``).

    A submitted reply without a date of receipt counts as received: it is better to
    spare a respondent a reminder than to chase a State that has answered.
    """
    replies = Response.objects.filter(recipient=OuterRef("pk"),
                                      status=Response.Status.SUBMITTED)
    if as_of is not None:
        replies = replies.filter(Q(received_on__isnull=True) | Q(received_on__lte=as_of))
    return Exists(replies)


def recipient_has_replied(recipient: Recipient, as_of: datetime.date | None = None) -> bool:
    """Whether the State has submitted its reply (received by ``as_of``, if given)."""
    return Recipient.objects.filter(pk=recipient.pk).filter(replied_exists(as_of)).exists()


def recipient_has_declined(recipient: Recipient, as_of: datetime.date | None = None) -> bool:
    as_of = as_of or timezone.localdate()
    return recipient.declined_on is not None and recipient.declined_on <= as_of

"""The receipt a State gets by e-mail when it submits its reply through the portal.

The receipt is the State's proof of what it sent and when: it names the version,
the date of receipt and copies every answer, in the language of the reply. It goes
to the addressee (usually the Permanent Representative) and to the Permanent
Mission if its address differs, through the outbox like every message (a web
request never waits on a mail server).

Replies that staff enter from a fax or a letter get no automatic receipt: the
secretariat acknowledges those by its usual correspondence.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from post_office import mail

from surveys.languages import RTL_LANGUAGES
from surveys.models import Recipient, ResponseVersion
from surveys.reply_form import Layout
from surveys.services.dispatch import PRIORITY, date_in, missions_by_state
from surveys.services.responses import answers_for_display

logger = logging.getLogger(__name__)


def receipt_addresses(recipient: Recipient) -> list[str]:
    """Where the receipt goes: the addressee's e-mail and the mission's, if different."""
    addressee = recipient.addressee
    mission = missions_by_state([recipient.state_id]).get(recipient.state_id)
    candidates = [addressee.email if addressee is not None and addressee.is_active else "",
                  mission.email if mission is not None else ""]
    addresses, seen = [], set()
    for address in (a.strip() for a in candidates if a):
        try:
            validate_email(address)
        except ValidationError:
            continue
        if address.casefold() not in seen:
            seen.add(address.casefold())
            addresses.append(address)
    return addresses


def receipt_send(*, version: ResponseVersion, language: str, recipient: Recipient | None = None,
                 layout: Layout | None = None) -> list[str]:
    """Queue the receipt of a submitted version; returns the addresses it was sent to.

    The subject, the text and the copy of the answers (those of ``version``) are in
    ``language`` (the reply's). Nothing is queued when no address is known: the
    confirmation page tells the State so. The portal passes the ``recipient`` (with its
    questionnaire, State and addressee) and the questions' ``layout`` it has already
    read, so a submission does not read them again.
    """
    response = version.response
    if recipient is None or recipient.pk != response.recipient_id:
        recipient = (Recipient.objects.select_related("questionnaire", "state", "addressee")
                     .get(pk=response.recipient_id))
    response.recipient = recipient
    addresses = receipt_addresses(recipient)
    if not addresses:
        logger.warning("No e-mail address for the receipt of %s, version %s.", recipient,
                       version.number)
        return []
    questionnaire = recipient.questionnaire
    with translation.override(language):
        context = {
            "state": recipient.state.name(language),
            "title": questionnaire.title_text(language),
            "reference": questionnaire.reference,
            "number": version.number,
            "received_on": date_in(language, version.received_on),
            "cutoff": date_in(language, questionnaire.cutoff),
            "answers": answers_for_display(response, language, version=version, layout=layout),
            "language": language,
            "direction": "rtl" if language in RTL_LANGUAGES else "ltr",
        }
        subject = _("Receipt: reply of %(state)s to “%(title)s” (version %(number)s)") % context
        body = render_to_string("surveys/portal/receipt_email.txt", context)
        body = re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"
        html = render_to_string("surveys/portal/receipt_email.html", context)
    mail.send(recipients=addresses, sender=settings.DEFAULT_FROM_EMAIL,
              subject=" ".join(subject.split()), message=body, html_message=html,
              priority=PRIORITY, headers={"Content-Language": language})
    return addresses

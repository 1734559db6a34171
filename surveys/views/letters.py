"""Printable letters of a wave, for the fax machine or the post (staff only).

One HTML page per wave and channel, one letter per message with a page break
between them, each in its addressee's language and direction, with the State's
personal link. The text is the wave's e-mail template, so staff edit one text for
every channel. Letters are rendered on request and never stored: the link they print
is derived from the secret key, like every link.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from surveys.languages import RTL_LANGUAGES
from surveys.models import Dispatch, Message
from surveys.services.dispatch import (
    PAPER_CHANNELS,
    MessageRenderer,
    date_in,
    message_context,
)

# The letterhead in each language: these are parts of the letter, not of the screen,
# so they follow the letter's language rather than the member of staff's.
LETTERHEAD = {
    "ar": {"org": "الأمم المتحدة", "fax": "فاكس", "to": "إلى"},
    "zh-hans": {"org": "联合国", "fax": "传真", "to": "致"},
    "en": {"org": "United Nations", "fax": "Fax", "to": "To"},
    "fr": {"org": "Organisation des Nations Unies", "fax": "Télécopie", "to": "À"},
    "ru": {"org": "Организация Объединенных Наций", "fax": "Факс", "to": "Кому"},
    "es": {"org": "Naciones Unidas", "fax": "Fax", "to": "Para"},
}


@dataclass
class Letter:
    message: Message
    language: str
    direction: str
    date: str
    subject: str
    body: str
    words: dict


def dispatch_letters(*, dispatch: Dispatch, channel: str) -> list[Letter]:
    """The letters of a wave on a channel, ordered by State (a fixed number of queries)."""
    messages = (dispatch.messages.filter(channel=channel)
                .select_related("recipient__state", "recipient__addressee",
                                "recipient__questionnaire", "contact")
                .order_by("recipient__state__name_en", "-role", "pk"))
    renderer = MessageRenderer(dispatch.kind)
    today = timezone.localdate()
    letters = []
    for message in messages:
        contact = message.contact or message.recipient.addressee
        if contact is None:
            continue
        language = renderer.language_for(message.language or "en")
        text = renderer.render(language, message_context(
            recipient=message.recipient, contact=contact, role=message.role,
            language=language))
        sent = timezone.localdate(message.sent_at) if message.sent_at else today
        letters.append(Letter(
            message=message, language=text.language,
            direction="rtl" if text.language in RTL_LANGUAGES else "ltr",
            date=date_in(text.language, sent), subject=text.subject, body=text.body,
            words=LETTERHEAD.get(text.language, LETTERHEAD["en"])))
    return letters


@staff_member_required
@never_cache
def dispatch_letters_view(request, dispatch_id, channel):
    """The printable page: open it, then print (Ctrl+P) to the fax driver or paper."""
    if not request.user.has_perm("surveys.view_dispatch"):
        raise PermissionDenied
    if channel not in PAPER_CHANNELS:
        raise Http404
    dispatch = get_object_or_404(Dispatch.objects.select_related("questionnaire"),
                                 pk=dispatch_id)
    letters = dispatch_letters(dispatch=dispatch, channel=channel)
    return TemplateResponse(request, "surveys/letters/letters.html", {
        "dispatch": dispatch, "channel": channel, "letters": letters,
        "channel_label": dict(Message.Channel.choices)[channel],
    })

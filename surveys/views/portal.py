"""The reply portal governments open from their personal link (no account).

Following Django's ``PasswordResetConfirmView``: the token moves from the URL into
the session and the browser is redirected to an address without it, so the token
never leaks through the Referer header or browser history. The session holds only
the recipient's id, a fingerprint of the link (so that a regenerated or revoked link
ends the sessions opened with it), the chosen language and the last receipt.

Every state change goes through the services (``response_save``,
``recipient_decline``, ``receipt_send``); these views choose the language, build the
forms and turn the outcome into pages. Every function works without JavaScript.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from functools import cached_property, wraps

from django import forms
from django.contrib import messages
from django.core.validators import FileExtensionValidator
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from surveys import throttle
from surveys.languages import LANGUAGE_CODES, RTL_LANGUAGES
from surveys.models import Question, Questionnaire, Recipient, Response, ResponseVersion
from surveys.reply_form import (
    ALLOWED_EXTENSIONS,
    build_reply_form,
    max_upload_bytes,
    validate_upload_size,
)
from surveys.services.dispatch import date_in
from surveys.services.receipts import receipt_addresses, receipt_send
from surveys.services.recipients import recipient_decline
from surveys.services.responses import (
    ReplyClosed,
    answers_for_display,
    form_initial,
    reply_is_open,
    response_save,
)
from surveys.services.tokens import recipient_from_token, recipient_link_expired
from surveys.translated import translated

logger = logging.getLogger(__name__)

SESSION_KEY = "inquiry_recipient"
SESSION_LINK = "inquiry_link"
SESSION_LANGUAGE = "inquiry_language"
SESSION_RECEIVED = "inquiry_received"
SESSION_KEYS = (SESSION_KEY, SESSION_LINK, SESSION_LANGUAGE, SESSION_RECEIVED)

# Each language named in its own script, as a reader of that language looks for it:
# deliberately not translated.
LANGUAGE_NAMES = {"ar": "العربية", "zh-hans": "中文", "en": "English", "fr": "Français",
                  "ru": "Русский", "es": "Español"}

# Names of the portal's own inputs; question codes cannot collide with them in practice
# (a code would have to be "portal-action"), and the reply form reads only its own.
ACTION_FIELD = "portal-action"
KEY_FIELD = "portal-key"
DRAFT, SUBMIT = "draft", "submit"

# No script at all, styles only from our own static files, forms only to ourselves.
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def portal_page(view=None, *, referrer_policy="same-origin"):
    """Never cached, never indexed, never sending a Referer to another site.

    The link's own address (the only one holding the token) sends no Referer at all.
    The other pages use "same-origin": with "no-referrer", browsers send
    ``Origin: null`` with a form, which Django's CSRF check rightly refuses; their
    addresses hold nothing secret and they link to no other site.
    """
    if view is None:
        return lambda view: portal_page(view, referrer_policy=referrer_policy)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.headers["Referrer-Policy"] = referrer_policy
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return never_cache(wrapped)


# --- forms of the portal's own (the questions are surveys.reply_form's) -------------------------


class OfficialLetterForm(forms.Form):
    letter = forms.FileField(
        label=gettext_lazy("Official letter (optional)"), required=False,
        validators=[FileExtensionValidator(ALLOWED_EXTENSIONS), validate_upload_size],
        widget=forms.FileInput(attrs={"accept": ",".join(f".{e}" for e in ALLOWED_EXTENSIONS)}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="portal", **kwargs)
        self.use_required_attribute = False
        self.fields["letter"].help_text = _(
            "The signed letter transmitting your Government's reply, if there is one: "
            "PDF, Word, OpenDocument or an image (%(types)s), up to %(limit)s.") % {
            "types": ", ".join(e.upper() for e in ALLOWED_EXTENSIONS),
            "limit": filesizeformat(max_upload_bytes())}


class DeclineForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason (optional)"), required=False,
                             max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="decline", **kwargs)


# --- who is visiting ----------------------------------------------------------------------------


def _link_fingerprint(recipient: Recipient) -> str:
    # A prefix of the link's hash (itself stored in the database), never the token.
    return recipient.token_hash[:16]


def _forget(request) -> None:
    for key in SESSION_KEYS:
        request.session.pop(key, None)


def current_recipient(request) -> Recipient | None:
    """The recipient whose link opened this session, while that link is still valid."""
    pk = request.session.get(SESSION_KEY)
    if pk is None:
        return None
    recipient = (Recipient.objects.select_related("questionnaire", "state", "addressee")
                 .filter(pk=pk).first())
    if (recipient is None or recipient.link_revoked
            or request.session.get(SESSION_LINK) != _link_fingerprint(recipient)
            or recipient_link_expired(recipient)):
        _forget(request)
        return None
    return recipient


def offered_languages(questionnaire: Questionnaire) -> list[str]:
    """The questionnaire's languages, in the UN order (Arabic, Chinese, English, ...)."""
    offered = [code for code in LANGUAGE_CODES if code in (questionnaire.languages or [])]
    return offered or [questionnaire.default_language]


def reply_language(request, recipient: Recipient, response: Response | None) -> str:
    """The language chosen in this session, else the one the reply was saved in (a draft
    typed in French reopens in French), else the addressee's, else the main language."""
    offered = offered_languages(recipient.questionnaire)
    for candidate in (request.session.get(SESSION_LANGUAGE),
                      response.language if response is not None else None,
                      getattr(recipient.addressee, "language", None),
                      recipient.questionnaire.default_language):
        if candidate in offered:
            return candidate
    return offered[0]


@dataclass
class Visit:
    """One page of the portal: whose reply, in which language, and where it stands."""

    recipient: Recipient
    language: str
    response: Response | None  # the reply as it stood when the request arrived

    @property
    def questionnaire(self) -> Questionnaire:
        return self.recipient.questionnaire

    @property
    def submitted(self) -> bool:
        return self.response is not None and self.response.status == Response.Status.SUBMITTED

    @cached_property
    def is_open(self) -> bool:
        return (reply_is_open(self.recipient)
                and self.questionnaire.status == Questionnaire.Status.OPEN)

    def date(self, value) -> str:
        return date_in(self.language, value)

    def context(self, **extra) -> dict:
        questionnaire, response = self.questionnaire, self.response
        fallback = questionnaire.default_language
        versions = list(response.versions.order_by("number")) if self.submitted else []
        return {
            "visit": self,
            "questionnaire": questionnaire,
            "language": self.language,
            "direction": "rtl" if self.language in RTL_LANGUAGES else "ltr",
            "languages": [(code, LANGUAGE_NAMES.get(code, code))
                          for code in offered_languages(questionnaire)],
            "title": questionnaire.title_text(self.language),
            "introduction": translated(questionnaire.introduction, self.language, fallback),
            "state_name": self.recipient.state.name(self.language),
            "deadline": self.date(questionnaire.deadline),
            "cutoff": self.date(questionnaire.cutoff),
            "past_deadline": bool(questionnaire.deadline
                                  and timezone.localdate() > questionnaire.deadline),
            "response": response,
            "submitted": self.submitted,
            "draft_saved_on": (self.date(timezone.localdate(response.updated_at))
                               if response is not None and not self.submitted else ""),
            "versions": [(v.number, self.date(v.received_on)) for v in versions],
            "latest_received_on": self.date(versions[-1].received_on) if versions else "",
            "declined_on": self.date(self.recipient.declined_on),
            "is_open": self.is_open,
            **extra,
        }


# --- pages --------------------------------------------------------------------------------------


def invalid_link(request, *, retry_after: int = 0):
    """One page for every link that does not open a reply: wrong, revoked, replaced, unknown."""
    response = render(request, "surveys/portal/invalid_link.html",
                      {"message": _("This link is not valid."), "too_many": bool(retry_after)},
                      status=429 if retry_after else 404)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _no_visit(request):
    """No valid reply link in this session: it expired, or its link was replaced or revoked."""
    return render(request, "surveys/portal/session_ended.html", status=403)


# Opening a link is a GET (from an e-mail, a letter): anything else is refused here, by the
# portal's own page, rather than by the CSRF check, whose refusal would not carry the
# link page's headers.
@csrf_exempt
@portal_page(referrer_policy="no-referrer")
@require_safe
def entry(request, token):
    """The personal link: check it, remember it in a new session, and leave the address."""
    wait = throttle.bad_link_wait(request)
    if wait:
        return invalid_link(request, retry_after=wait)
    recipient = recipient_from_token(token)
    if recipient is None:
        throttle.bad_link_record(request)
        return invalid_link(request)
    if request.session.get(SESSION_KEY) != recipient.pk:
        _forget(request)  # another State's link was opened in this browser before
    request.session.cycle_key()
    request.session[SESSION_KEY] = recipient.pk
    request.session[SESSION_LINK] = _link_fingerprint(recipient)
    return redirect("portal:reply")


def _reply_forms(visit: Visit, *, data=None, files=None, draft: bool = False):
    """The questions' form and the official letter's, plus the files already sent."""
    form = build_reply_form(visit.questionnaire, visit.language)(
        data, files, initial=form_initial(visit.response))
    # The server checks required answers (its messages are in the page's language, and a
    # draft may be incomplete), so browsers must not block the form first.
    form.use_required_attribute = False
    sent = {}
    if visit.response is not None:
        sent = {a.question.code: a.text for a in visit.response.answers.select_related("question")
                if a.question.type == Question.Type.FILE and a.value}
    for name, form_field in form.fields.items():
        form_field.show_required = form_field.required
        if isinstance(form_field.widget, forms.Textarea):
            # An answer typed in another script than the page's reads in its own direction.
            form_field.widget.attrs["dir"] = "auto"
        if draft or name in sent:  # a file already sent need not be sent again
            form_field.required = False
    return form, OfficialLetterForm(data, files), sent


def _render_reply(request, visit: Visit, *, form=None, letter=None, decline=None,
                  submission_key=None, sent=None, status=200):
    if form is None:
        form, letter, sent = _reply_forms(visit)
    sections = [(section, [(number, field, sent.get(field.name)) for number, field in
                           section.fields]) for section in form.sections]
    letters = (list(visit.response.attachments.filter(question__isnull=True))
               if visit.response is not None else [])
    decline = decline or DeclineForm()
    summary = _error_summary(form, sections, [letter["letter"], decline["reason"]])
    return render(request, "surveys/portal/reply.html", visit.context(
        form=form, sections=sections, letter_form=letter, letters_sent=letters,
        decline_form=decline, decline_open=bool(decline.errors),
        submission_key=submission_key or uuid.uuid4(), error_summary=summary,
        has_errors=bool(summary), files_lost=bool(summary) and bool(request.FILES),
        action_field=ACTION_FIELD, key_field=KEY_FIELD, DRAFT=DRAFT, SUBMIT=SUBMIT),
        status=status)


def _error_summary(form, sections, other_fields) -> list[tuple[str, str]]:
    """(anchor, message) for the summary at the top: "Question 3: This field is required."."""
    summary = [("", str(error)) for error in form.non_field_errors()]
    for _section, items in sections:
        for number, field, _sent in items:
            anchor = f"question-{field.name}" if field.use_fieldset else field.id_for_label
            where = _("Question %(number)s") % {"number": number}
            summary += [(anchor, _("%(where)s: %(error)s") % {"where": where, "error": error})
                        for error in field.errors]
    for field in other_fields:
        summary += [(field.id_for_label, _("%(where)s: %(error)s") % {
            "where": field.label, "error": error}) for error in field.errors]
    return summary


def _render_closed(request, visit: Visit, *, status=200):
    answers = answers_for_display(visit.response, visit.language) if visit.submitted else []
    return render(request, "surveys/portal/closed.html",
                  visit.context(answers=answers), status=status)


def _submission_key(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return uuid.uuid4()  # a missing or altered key: this press still counts once


def _with_language(view):
    """Resolve the visit (or refuse) and run ``view`` in the reply's language."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        recipient = current_recipient(request)
        if recipient is None:
            return _no_visit(request)
        reply = Response.objects.filter(recipient=recipient).first()
        language = reply_language(request, recipient, reply)
        with translation.override(language):
            response = view(request, Visit(recipient, language, reply), *args, **kwargs)
        response.headers["Content-Language"] = language
        return response

    return wrapped


@portal_page
def reply(request):
    """The reply page: the questions to answer, or the reply as sent once it is closed."""
    if "language" in request.GET:
        recipient = current_recipient(request)
        if recipient is not None and request.GET["language"] in offered_languages(
                recipient.questionnaire):
            request.session[SESSION_LANGUAGE] = request.GET["language"]
        return redirect("portal:reply")
    return _reply(request)


@_with_language
def _reply(request, visit: Visit):
    if not visit.is_open:
        # A POST after the cut-off changes nothing: the page says why.
        return _render_closed(request, visit, status=403 if request.method == "POST" else 200)
    if request.method != "POST":
        return _render_reply(request, visit)

    # "Save draft" from a page opened before the reply was submitted (another tab) is
    # refused by response_save with a message, rather than taken as a submission.
    draft = request.POST.get(ACTION_FIELD) == DRAFT
    key = _submission_key(request.POST.get(KEY_FIELD))
    form, letter, sent = _reply_forms(visit, data=request.POST, files=request.FILES, draft=draft)
    if form.is_valid() and letter.is_valid():
        try:
            saved = response_save(
                recipient=visit.recipient, data=form.cleaned_data, language=visit.language,
                submit=not draft, channel=Response.Channel.PORTAL,
                submission_key=None if draft else key,
                original=letter.cleaned_data.get("letter") or None, questions=form.questions)
        except ReplyClosed as error:
            form.add_error(None, error)
        else:
            if draft:
                messages.success(request, _(
                    "Your draft has been saved. It is kept on the server: open your link "
                    "again at any time to continue, then submit the reply."))
                return redirect("portal:reply")
            request.session[SESSION_RECEIVED] = {
                "version": saved.version.pk,
                "receipt": _receipt(saved, visit, form) if not saved.duplicate
                else receipt_addresses(visit.recipient)}
            return redirect("portal:received")
    return _render_reply(request, visit, form=form, letter=letter, submission_key=key, sent=sent)


def _receipt(saved, visit: Visit, form) -> list[str]:
    try:
        return receipt_send(version=saved.version, language=visit.language,
                            recipient=visit.recipient, layout=form.question_layout)
    except Exception:  # the reply is recorded; a receipt that failed must not hide that
        logger.exception("The receipt of %s, version %s, could not be queued.",
                         visit.recipient, saved.version.number)
        return []


@portal_page
@_with_language
def received(request, visit: Visit):
    """After a submission (POST/redirect/GET): the version recorded and where the receipt went."""
    info = request.session.get(SESSION_RECEIVED) or {}
    version = (ResponseVersion.objects.filter(pk=info.get("version"),
                                              response__recipient=visit.recipient).first()
               if isinstance(info, dict) else None)
    if version is None:
        return redirect("portal:reply")
    return render(request, "surveys/portal/received.html", visit.context(
        version=version, received_on=visit.date(version.received_on),
        receipt_to=info.get("receipt") or []))


@portal_page
@_with_language
def decline(request, visit: Visit):
    """'We will not reply': recorded with today's date; the State gets no more reminders."""
    if request.method != "POST" or visit.submitted:
        return redirect("portal:reply")
    if not visit.is_open:
        return _render_closed(request, visit, status=403)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return _render_reply(request, visit, decline=form)
    recipient_decline(recipient=visit.recipient, on=timezone.localdate(),
                      note=form.cleaned_data["reason"])
    return redirect("portal:declined")


@portal_page
@_with_language
def declined(request, visit: Visit):
    """The confirmation that the State's decision not to reply was recorded."""
    if visit.recipient.declined_on is None:
        return redirect("portal:reply")
    return render(request, "surveys/portal/declined.html", visit.context())

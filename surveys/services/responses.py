"""Recording replies: drafts, submissions and their versions, whatever the channel.

The portal, staff entering a fax or a letter, and the spreadsheet import all end
here, so every reply is validated, versioned and dated the same way:

* a draft keeps the answers on the server until the State submits;
* each submission freezes the whole reply as a new :class:`ResponseVersion` (earlier
  versions are never changed) and updates the current :class:`Answer` rows, whose
  every change django-simple-history records;
* ``received_on`` is the date the reply first arrived (not the date it was typed in),
  so the report can say what had arrived by any date.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import (
    Answer,
    Attachment,
    Question,
    Recipient,
    Response,
    ResponseVersion,
)
from surveys.reply_form import Layout, question_choices, questionnaire_layout
from surveys.services.bulk_writes import (
    default_history_user_id,
    history_insert,
    json_text,
    rows_insert,
    rows_update,
)
from surveys.translated import translated

# The columns of an answer as services write them in bulk (here and in the import).
ANSWER_FIELDS = ["response_id", "question_id", "text", "value", "updated_at"]


class ReplyClosed(ValidationError):
    """The questionnaire no longer accepts replies or changes through this channel."""


class ConcurrentEdit(ValidationError):
    """Someone else saved this reply since it was opened: the later save is refused."""


@dataclass
class SavedReply:
    response: Response
    version: ResponseVersion | None  # None for a draft
    duplicate: bool = False  # the same submission (same key) had already been recorded


def answer_from_value(question: Question, value, *, language: str) -> tuple[str, object]:
    """(readable text, structured value) of a cleaned form value for ``question``.

    Choice answers keep their values (``["yes"]``) and a readable text in the reply's
    language; numbers and dates are kept as text that sorts and reads the same
    everywhere (``"12.5"``, ``"2008-04-30"``).
    """
    if value in (None, "", [], ()):
        return "", None
    kind = question.type
    if kind in (Question.Type.YES_NO, Question.Type.SINGLE, Question.Type.MULTIPLE):
        labels = dict(question_choices(question, language, question.questionnaire.default_language))
        values = list(value) if kind == Question.Type.MULTIPLE else [value]
        return "; ".join(labels.get(v, v) for v in values), values
    if kind == Question.Type.NUMBER:
        number = Decimal(value).normalize()
        text = format(number, "f")
        return text, text
    if kind == Question.Type.DATE:
        text = value.isoformat() if isinstance(value, datetime.date) else str(value)
        return text, text
    if kind == Question.Type.FILE:
        return getattr(value, "name", str(value)), None  # the Attachment holds the file
    return str(value).strip(), None


def form_initial(response: Response | None) -> dict:
    """Initial form data from the current answers (for a draft, or an amendment)."""
    if response is None:
        return {}
    initial = {}
    for answer in response.answers.select_related("question"):
        question = answer.question
        if question.type == Question.Type.MULTIPLE:
            initial[question.code] = answer.value or []
        elif question.type in (Question.Type.YES_NO, Question.Type.SINGLE):
            initial[question.code] = (answer.value or [""])[0]
        elif question.type == Question.Type.FILE:
            continue
        else:
            initial[question.code] = answer.text
    return initial


def response_save(**kwargs) -> SavedReply:
    """Save a reply; see :func:`_response_save` for the arguments.

    If a concurrent request committed the same ``submission_key`` first, its version
    is returned (marked ``duplicate``) and this one changes nothing.
    """
    try:
        return _response_save(**kwargs)
    except IntegrityError:
        key = kwargs.get("submission_key")
        existing = (ResponseVersion.objects.select_related("response")
                    .filter(submission_key=key).first() if key else None)
        if existing is None:
            raise
        return SavedReply(existing.response, existing, duplicate=True)


def _response_save(*, recipient: Recipient, data: dict, language: str, submit: bool,
                   channel: str = Response.Channel.PORTAL,
                   received_on: datetime.date | None = None, user=None,
                   submission_key: uuid.UUID | str | None = None,
                   expected_version: int | None = None, files: dict | None = None,
                   original=None, note: str = "", now: datetime.datetime | None = None,
                   questions: Iterable[Question] | None = None) -> SavedReply:
    """Save a reply's answers (``data``: question code → cleaned form value).

    ``submit`` False keeps a draft (only before the first submission). ``submit`` True
    records a new version. ``submission_key`` makes a double press of Submit (or two
    tabs) record one version; ``expected_version`` refuses a save based on an outdated
    copy (two staff editing the same reply). ``original`` is the official letter.
    ``questions`` are all the questionnaire's questions, with their choices, when the
    caller has them already (the reply form has): they are not read again.

    The answers and their history records are written in bulk (a statement for the
    new ones, one for the changed ones, one for the history of each), as
    simple-history's bulk functions record them: the number of statements does not
    grow with the number of questions.
    """
    now = now or timezone.now()
    questionnaire = recipient.questionnaire
    if questions is None:
        questions = questionnaire.questions.prefetch_related("choices")
    questions = {q.code: q for q in questions}
    with transaction.atomic():
        # One writer per recipient at a time: concurrent submissions queue here.
        recipient = Recipient.objects.select_for_update().get(pk=recipient.pk)
        if submission_key:
            existing = (ResponseVersion.objects.select_related("response")
                        .filter(submission_key=submission_key).first())
            if existing is not None:
                return SavedReply(existing.response, existing, duplicate=True)
        # No get_or_create: the lock above already keeps a second writer out.
        response = Response.objects.filter(recipient=recipient).first()
        created = response is None
        if created:
            response = Response(recipient=recipient, channel=channel, language=language)
        if expected_version is not None and response.version != expected_version:
            raise ConcurrentEdit(
                _("This reply was changed by someone else (now version %(now)s, you opened "
                  "version %(opened)s). Reload it and enter your changes again.")
                % {"now": response.version, "opened": expected_version}, code="concurrent")
        if not submit and response.status == Response.Status.SUBMITTED:
            raise ReplyClosed(_("This reply has been submitted: submit the amended reply "
                                "instead of saving a draft."), code="submitted")

        response.language = language
        response.entered_by = user if user is not None else response.entered_by
        if submit:
            response.status = Response.Status.SUBMITTED
            response.version += 1
            response.channel = channel
            response.submitted_at = now
            if response.received_on is None:
                response.received_on = received_on or timezone.localdate(now)
        response.save()  # first, so that the answers and attachments can point to it

        held = {} if created else {a.question_id: a for a in response.answers.all()}
        current = {question_id: (a.text, a.value) for question_id, a in held.items()}
        new_rows, changed_rows = [], []
        for code, value in data.items():
            question = questions.get(code)
            if question is None:
                continue
            text, structured = answer_from_value(question, value, language=language)
            if question.type == Question.Type.FILE:
                if not value:
                    continue  # an empty file input keeps the file already sent
                structured = _attachment_save(response, value, user=user, question=question).pk
            answer = held.get(question.pk)
            if answer is None:
                new_rows.append((response.pk, question.pk, text, json_text(structured), now))
            elif answer.text != text or answer.value != structured:
                changed_rows.append((text, json_text(structured), now, answer.pk))
            current[question.pk] = (text, structured)
        answers_write(new_rows, changed_rows, user=user, date=now)
        if original is not None:
            _attachment_save(response, original, user=user)

        version = None
        if submit:
            in_order = sorted(questions.values(), key=lambda q: (q.order, q.pk))
            snapshot = {q.code: {"text": current[q.pk][0], "value": current[q.pk][1]}
                        for q in in_order if q.pk in current}
            version = ResponseVersion.objects.create(
                response=response, number=response.version, submitted_at=now,
                received_on=received_on or timezone.localdate(now), channel=channel,
                language=language, answers=snapshot, submitted_by=user,
                submission_key=submission_key or None, note=note)
    return SavedReply(response, version)


def _attachment_save(response: Response, upload, *, user, question: Question | None = None):
    attachment = Attachment(response=response, question=question,
                            original_name=upload.name[:255],
                            content_type=(getattr(upload, "content_type", "") or "")[:100],
                            size=upload.size, uploaded_by=user)
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    return attachment


def answers_write(new_rows: list, changed_rows: list, *, user, date: datetime.datetime,
                  reason: str | None = None) -> None:
    """New and changed answers and their history records, in four statements at most,
    as simple-history's bulk functions record them (the portal, staff entry and the
    import all write answers here).

    ``new_rows``: tuples in the order of :data:`ANSWER_FIELDS`; ``changed_rows``: (text,
    value as JSON text, updated_at, answer key).
    """
    history = {"date": date, "reason": reason,
               "user_id": default_history_user_id(Answer, user)}
    if new_rows:
        rows_insert(Answer, ANSWER_FIELDS, new_rows)
        history_insert(Answer, [(row[0], row[1]) for row in new_rows],
                       key=("response_id", "question_id"), history_type="+", **history)
    if changed_rows:
        rows_update(Answer, ["text", "value", "updated_at"], changed_rows)
        history_insert(Answer, [row[-1] for row in changed_rows], history_type="~", **history)


def response_missing_required(*, response: Response) -> list[Question]:
    """Required questions without an answer (for staff checking an imported reply)."""
    answered = {a.question_id for a in response.answers.all() if a.text or a.value}
    return [q for q in response.recipient.questionnaire.questions.filter(required=True)
            if q.pk not in answered]


def reply_is_open(recipient: Recipient, today: datetime.date | None = None) -> bool:
    """Whether the portal still accepts a reply or an amendment (until the cut-off)."""
    questionnaire = recipient.questionnaire
    today = today or timezone.localdate()
    if questionnaire.status != questionnaire.Status.OPEN:
        return False
    if questionnaire.cutoff and today > questionnaire.cutoff:
        return False
    return not recipient.link_revoked


def answers_for_display(response: Response, language: str, *,
                        version: ResponseVersion | None = None,
                        layout: Layout | None = None) -> list[tuple[str, str]]:
    """(question text, answer text) in questionnaire order, for receipts and read-only views.

    ``version``: the answers of that submission (what a receipt acknowledges) rather
    than the current ones. ``layout``: the questionnaire's questions, when the caller
    has read them already (:func:`questionnaire_layout`).
    """
    questionnaire = response.recipient.questionnaire
    fallback = questionnaire.default_language
    if layout is None:
        layout = questionnaire_layout(questionnaire)
    questions = [question for _section, in_section in layout for question in in_section]
    if version is not None:
        texts = {code: (answer or {}).get("text", "") for code, answer in version.answers.items()}
    else:
        code_of = {question.pk: question.code for question in questions}
        texts = {code_of.get(a.question_id): a.text for a in response.answers.all()}
    # The reply form's order (section by section), not the bare question numbers.
    return [(translated(question.text, language, fallback), texts.get(question.code, ""))
            for question in questions]

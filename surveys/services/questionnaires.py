"""What staff do to a questionnaire: copy it for a new round, open and close it.

The admin's actions, the management commands and the XLSForm import call these
functions, so that a rule (a questionnaire cannot open without a deadline) holds
whichever screen is used.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.languages import LANGUAGE_CODES, UN_LANGUAGES
from surveys.models import YES_NO_CHOICES, Choice, Question, Questionnaire, ReminderRule, Section
from surveys.translated import missing_languages

YES_NO_VALUES = [value for value, _labels in YES_NO_CHOICES]
CODE_MAX_LENGTH = Questionnaire._meta.get_field("code").max_length


@transaction.atomic
def questionnaire_copy(*, questionnaire: Questionnaire, code: str,
                       title: dict | None = None) -> Questionnaire:
    """A new draft with the same texts, sections, questions, choices and reminder schedule.

    The dates are cleared (a new round has its own) and ``copied_from`` records the
    round it came from. Recipients, dispatches and replies are not copied.
    """
    copy = Questionnaire(
        code=code, title=dict(title) if title is not None else dict(questionnaire.title),
        reference=questionnaire.reference, languages=list(questionnaire.languages),
        default_language=questionnaire.default_language,
        introduction=dict(questionnaire.introduction or {}),
        max_reminders=questionnaire.max_reminders, status=Questionnaire.Status.DRAFT,
        copied_from=questionnaire)
    copy.full_clean()
    copy.save()
    ReminderRule.objects.bulk_create(
        ReminderRule(questionnaire=copy, days_from_deadline=rule.days_from_deadline)
        for rule in questionnaire.reminder_rules.all())
    old_sections = list(questionnaire.sections.all())
    new_sections = Section.objects.bulk_create(
        Section(questionnaire=copy, order=s.order, code=s.code, title=dict(s.title))
        for s in old_sections)
    section_map = {old.pk: new for old, new in zip(old_sections, new_sections, strict=True)}
    old_questions = list(questionnaire.questions.prefetch_related("choices"))
    new_questions = Question.objects.bulk_create(
        Question(questionnaire=copy, section=section_map.get(q.section_id), order=q.order,
                 code=q.code, type=q.type, required=q.required, text=dict(q.text),
                 help_text=dict(q.help_text or {}))
        for q in old_questions)
    Choice.objects.bulk_create(
        Choice(question=new, order=c.order, value=c.value, label=dict(c.label))
        for old, new in zip(old_questions, new_questions, strict=True)
        for c in old.choices.all())
    return copy


def questionnaire_copy_code(*, questionnaire: Questionnaire) -> str:
    """A free code for a copy: ``<code>-copy``, then ``<code>-copy-2``, ``-copy-3``..."""
    number = 1
    while True:
        suffix = "-copy" if number == 1 else f"-copy-{number}"
        candidate = questionnaire.code[:CODE_MAX_LENGTH - len(suffix)] + suffix
        if not Questionnaire.objects.filter(code=candidate).exists():
            return candidate
        number += 1


def question_ensure_yes_no_choices(*, question: Question) -> list[Choice]:
    """Give a yes / no / no opinion question exactly the standard three choices.

    Labels staff have reworded are kept; languages missing are filled from the
    standard ones, so the question reads right in every UN language. Any other
    choice is removed: the tallies count exactly these three values.
    """
    if question.type != Question.Type.YES_NO:
        return list(question.choices.all())
    existing = {c.value: c for c in question.choices.all()}
    Choice.objects.filter(question=question).exclude(value__in=YES_NO_VALUES).delete()
    result = []
    for order, (value, labels) in enumerate(YES_NO_CHOICES, start=1):
        choice = existing.get(value) or Choice(question=question, value=value, label={})
        label = {**labels, **{k: v for k, v in (choice.label or {}).items() if v}}
        if choice.pk is None or choice.order != order or choice.label != label:
            choice.order, choice.label = order, label
            choice.save()
        result.append(choice)
    return result


def questionnaire_problems(*, questionnaire: Questionnaire) -> list[str]:
    """Why the questionnaire cannot be opened yet (an empty list when it can)."""
    problems = []
    try:
        questionnaire.clean()
    except ValidationError as exc:
        problems += exc.messages
    if not questionnaire.languages:
        problems.append(_("Offer at least one language."))
    if not questionnaire.deadline:
        problems.append(_("Set the deadline."))
    if not (questionnaire.title or {}).get(questionnaire.default_language):
        problems.append(_("Give the title in the main language."))
    questions = list(questionnaire.questions.prefetch_related("choices"))
    if not questions:
        problems.append(_("Add at least one question."))
    for question in questions:
        if question.type in (Question.Type.SINGLE, Question.Type.MULTIPLE) and \
                not question.choices.all():
            problems.append(_("Question %(code)s has no choices.") % {"code": question.code})
    return list(dict.fromkeys(problems))


def questionnaire_missing_translations(*, questionnaire: Questionnaire) -> list[str]:
    """Texts not yet translated into an offered language: a warning, not a refusal.

    Governments then read the main language's text in its place.
    """
    names = dict(UN_LANGUAGES)
    languages = [c for c in LANGUAGE_CODES if c in (questionnaire.languages or [])]
    texts = [(_("title"), questionnaire.title)]
    texts += [(_("section %(code)s") % {"code": s.code}, s.title)
              for s in questionnaire.sections.all()]
    for question in questionnaire.questions.prefetch_related("choices"):
        texts.append((_("question %(code)s") % {"code": question.code}, question.text))
        texts += [(_("choice %(question)s/%(value)s") % {"question": question.code,
                                                         "value": c.value}, c.label)
                  for c in question.choices.all()] if question.has_choices else []
    warnings = []
    for what, value in texts:
        missing = missing_languages(value, languages)
        if missing:
            warnings.append(_("The %(what)s has no text in %(languages)s.") % {
                "what": what, "languages": ", ".join(str(names[c]) for c in missing)})
    return warnings


def _lock(questionnaire: Questionnaire) -> None:
    """Lock the row and reload it, so two staff clicking at once see each other's change."""
    Questionnaire.objects.select_for_update().filter(pk=questionnaire.pk).first()
    questionnaire.refresh_from_db()


@transaction.atomic
def questionnaire_open(*, questionnaire: Questionnaire) -> Questionnaire:
    """Open for replies: a draft that is complete, or a closed one before its report cut-off.

    Reopening after the cut-off is refused: the report's figures are fixed by then.
    """
    _lock(questionnaire)
    if questionnaire.status == Questionnaire.Status.OPEN:
        raise ValidationError(_("%(code)s is already open.") % {"code": questionnaire.code})
    if questionnaire.status == Questionnaire.Status.CLOSED and questionnaire.cutoff and \
            questionnaire.cutoff < timezone.localdate():
        raise ValidationError(
            _("%(code)s cannot reopen: its report cut-off (%(cutoff)s) has passed.")
            % {"code": questionnaire.code, "cutoff": questionnaire.cutoff.isoformat()})
    problems = questionnaire_problems(questionnaire=questionnaire)
    if problems:
        raise ValidationError([_("%(code)s cannot open: %(problem)s")
                               % {"code": questionnaire.code, "problem": p} for p in problems])
    questionnaire.status = Questionnaire.Status.OPEN
    questionnaire.save(update_fields=["status"])
    return questionnaire


@transaction.atomic
def questionnaire_close(*, questionnaire: Questionnaire) -> Questionnaire:
    """Close an open questionnaire: the portal stops taking replies."""
    _lock(questionnaire)
    if questionnaire.status != Questionnaire.Status.OPEN:
        raise ValidationError(_("%(code)s is not open, so it cannot be closed.")
                              % {"code": questionnaire.code})
    questionnaire.status = Questionnaire.Status.CLOSED
    questionnaire.save(update_fields=["status"])
    return questionnaire

"""Coders' own coding of answers, and the keyword suggestions they accept or reject.

Each coder codes independently: these functions only ever touch the coder's own
codings (``final`` false); the reconciled, counted coding is made elsewhere
(:mod:`analysis.services.reconcile`). Exclusive groups are enforced here, for the
screen and every other caller alike: of the codes sharing a group, a coder applies
at most one to an answer (one State, one question). Every change goes through
django-simple-history, with the coder as its author.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from analysis.models import Code, Coding, ReplyReview, Suggestion
from analysis.suggestions import matched_keywords
from surveys.models import Answer, Questionnaire, Response

# --- checks -----------------------------------------------------------------------------------


def coding_problems(*, answer: Answer, codes: Iterable[Code]) -> list[str]:
    """Why ``codes`` cannot be applied together to ``answer`` (empty if they can).

    Reads ``answer.question`` (select it with the answer) and the codes' ids only,
    so it runs no query of its own.
    """
    problems = []
    questionnaire_id = answer.question.questionnaire_id
    by_group: dict[str, list[Code]] = {}
    for code in codes:
        if code.questionnaire_id != questionnaire_id:
            problems.append(_("“%(label)s” is a code of another questionnaire.")
                            % {"label": code.label})
        elif code.question_id and code.question_id != answer.question_id:
            problems.append(_("“%(label)s” applies to another question.")
                            % {"label": code.label})
        if code.exclusive_group:
            by_group.setdefault(code.exclusive_group, []).append(code)
    for group, members in by_group.items():
        if len(members) > 1:
            problems.append(
                _("%(codes)s exclude each other (group “%(group)s”): apply only one.")
                % {"codes": _(" and ").join(f"“{c.label}”" for c in members), "group": group})
    return problems


# --- saving a coder's codings -----------------------------------------------------------------


@dataclass
class CodingChange:
    added: int = 0
    removed: int = 0
    updated: int = 0

    def __add__(self, other: CodingChange) -> CodingChange:
        return CodingChange(self.added + other.added, self.removed + other.removed,
                            self.updated + other.updated)


def _replace(*, answers: list[Answer], codes_by_answer: dict[int, list[Code]], coder,
             excerpts: dict[tuple[int, int], str]) -> CodingChange:
    """Make the coder's non-final codings of ``answers`` exactly ``codes_by_answer``.

    Unchanged codings stay as they are (their date and history too); the rest is
    written in bulk, so the number of queries does not grow with the answers.
    """
    change = CodingChange()
    current = list(Coding.objects.filter(answer__in=answers, coder=coder, final=False))
    wanted = {(a.pk, c.pk) for a in answers for c in codes_by_answer.get(a.pk, [])}
    have = {(c.answer_id, c.code_id): c for c in current}
    for pair, coding in have.items():
        if pair not in wanted:
            coding._history_user = coder
            coding.delete()  # one by one, so that history records each removal
            change.removed += 1
    updated = []
    for pair, coding in have.items():
        excerpt = (excerpts.get(pair) or "").strip()
        if pair in wanted and coding.excerpt != excerpt:
            coding.excerpt = excerpt
            updated.append(coding)
    if updated:
        bulk_update_with_history(updated, Coding, ["excerpt"], default_user=coder)
        change.updated = len(updated)
    new = [Coding(answer_id=a, code_id=c, coder=coder, final=False,
                  excerpt=(excerpts.get((a, c)) or "").strip())
           for a, c in sorted(wanted - set(have))]
    if new:
        bulk_create_with_history(new, Coding, default_user=coder)
        change.added = len(new)
    return change


def coding_save(*, answer: Answer, codes: Iterable[Code], coder,
                excerpts: dict[int, str] | None = None) -> CodingChange:
    """Replace ``coder``'s own codings of ``answer`` by ``codes`` (atomic).

    ``excerpts`` maps a code's id to the passage that expresses it. Raises
    ValidationError, changing nothing, if a code does not apply to the answer or two
    codes of one exclusive group are given.
    """
    codes = list({c.pk: c for c in codes}.values())
    problems = coding_problems(answer=answer, codes=codes)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        return _replace(answers=[answer], codes_by_answer={answer.pk: codes}, coder=coder,
                        excerpts={(answer.pk, k): v for k, v in (excerpts or {}).items()})


def response_coding_save(*, response: Response, coder,
                         codes_by_answer: dict[Answer, Iterable[Code]],
                         excerpts: dict[tuple[int, int], str] | None = None) -> CodingChange:
    """Save a coder's codings of a whole reply in one transaction (the coding screen).

    ``codes_by_answer`` gives, for each answer shown, the codes ticked (an answer
    with no codes loses the coder's codings); ``excerpts`` maps (answer id, code id)
    to a passage. Every answer is checked before anything is written: a
    ValidationError maps each bad answer's id to its problems. The reply is recorded
    as coded by ``coder`` (:class:`ReplyReview`), with codes or without: a reply in
    which the coder found no view is coded too.
    """
    problems = {}
    for answer, codes in codes_by_answer.items():
        if answer.response_id != response.pk:
            raise ValueError("answer of another reply")
        found = coding_problems(answer=answer, codes=codes)
        if found:
            problems[str(answer.pk)] = found
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        ReplyReview.objects.update_or_create(response=response, coder=coder,
                                             defaults={"reviewed_at": timezone.now()})
        return _replace(answers=list(codes_by_answer),
                        codes_by_answer={a.pk: list({c.pk: c for c in codes}.values())
                                         for a, codes in codes_by_answer.items()},
                        coder=coder, excerpts=excerpts or {})


# --- suggestions ------------------------------------------------------------------------------


@dataclass
class SuggestionsRefreshed:
    created: int = 0
    withdrawn: int = 0
    pending: int = 0


def suggestions_refresh(*, questionnaire: Questionnaire) -> SuggestionsRefreshed:
    """Offer each code for the submitted answers that contain one of its keywords.

    Idempotent: a suggestion already made is not made again, and one a coder has
    rejected (or accepted) is never offered anew. Pending suggestions whose keyword
    no longer matches (the codebook or the answer changed) are withdrawn. Runs a
    fixed number of queries: the matching happens in memory.
    """
    codes = [c for c in Code.objects.filter(questionnaire=questionnaire) if c.keywords]
    answers = list(Answer.objects
                   .filter(response__recipient__questionnaire=questionnaire,
                           response__status=Response.Status.SUBMITTED)
                   .exclude(text="").only("id", "text", "question_id"))
    existing = {(s.answer_id, s.code_id): s for s in Suggestion.objects.filter(
        code__questionnaire=questionnaire)}
    found: dict[tuple[int, int], str] = {}
    for answer in answers:
        for code in codes:
            if code.question_id and code.question_id != answer.question_id:
                continue
            words = matched_keywords(answer.text, code.keywords)
            if words:
                found[(answer.pk, code.pk)] = "; ".join(words)[:200]
    outcome = SuggestionsRefreshed()
    with transaction.atomic():
        stale = [s.pk for pair, s in existing.items()
                 if s.status == Suggestion.Status.PENDING and pair not in found]
        if stale:
            Suggestion.objects.filter(pk__in=stale).delete()
        new = [Suggestion(answer_id=a, code_id=c, matched=words)
               for (a, c), words in found.items() if (a, c) not in existing]
        Suggestion.objects.bulk_create(new, ignore_conflicts=True)
        changed = [s for pair, s in existing.items()
                   if s.status == Suggestion.Status.PENDING and pair in found
                   and s.matched != found[pair]]
        for suggestion in changed:
            suggestion.matched = found[(suggestion.answer_id, suggestion.code_id)]
        if changed:
            Suggestion.objects.bulk_update(changed, ["matched"])
    outcome.created, outcome.withdrawn = len(new), len(stale)
    outcome.pending = Suggestion.objects.filter(code__questionnaire=questionnaire,
                                                status=Suggestion.Status.PENDING).count()
    return outcome


def _decide(suggestion: Suggestion, status: str, user) -> Suggestion:
    if suggestion.status != Suggestion.Status.PENDING:
        raise ValidationError(_("This suggestion has already been decided (%(status)s).")
                              % {"status": suggestion.get_status_display()})
    suggestion.status = status
    suggestion.decided_by = user
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["status", "decided_by", "decided_at"])
    return suggestion


def suggestion_accept(*, suggestion: Suggestion, user) -> Coding:
    """Apply the suggested code as ``user``'s own coding (not final) and close the suggestion.

    Refused if the user has already applied another code of the same exclusive group
    to that answer.
    """
    with transaction.atomic():
        suggestion = (Suggestion.objects.select_for_update()
                      .select_related("code", "answer__question").get(pk=suggestion.pk))
        answer, code = suggestion.answer, suggestion.code
        mine = list(Code.objects.filter(codings__answer=answer, codings__coder=user,
                                        codings__final=False))
        problems = coding_problems(answer=answer, codes=[*mine, code] if code not in mine
                                   else mine)
        if problems:
            raise ValidationError(problems)
        _decide(suggestion, Suggestion.Status.ACCEPTED, user)
        coding = Coding.objects.filter(answer=answer, code=code, coder=user, final=False).first()
        if coding is None:
            coding = Coding(answer=answer, code=code, coder=user, final=False)
            coding._history_user = user
            coding.save()
        return coding


def suggestion_reject(*, suggestion: Suggestion, user) -> Suggestion:
    """Close the suggestion: the code is not offered again for that answer."""
    with transaction.atomic():
        suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        return _decide(suggestion, Suggestion.Status.REJECTED, user)


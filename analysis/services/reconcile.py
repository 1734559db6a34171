"""Reconciliation: settling the coders' codings into the final coding that tallies count.

Each coder codes independently; a person then decides every (State, code) on which
they differ, and accepts in one go those on which they all agree. The final coding
is made of ordinary :class:`~analysis.models.Coding` rows with ``final`` true and the
reconciler as ``coder``; django-simple-history keeps who added or removed each one.

Rules the final coding keeps:

* codes of one exclusive group ("useful" / "no opinion") never both hold for one State
  and question: a second one is refused with a clear message;
* accepting the agreed codings twice changes nothing, and never puts back a final
  coding that a person removed (the history shows the removal).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from analysis.agreement import coding_matrix
from analysis.models import Code, Coding
from surveys.models import Answer, Questionnaire, Response, State


class ReconcileError(ValidationError):
    """A decision that would break the final coding's rules: nothing was changed."""


@dataclass
class Reconciled:
    """What one decision changed."""

    created: int = 0
    removed: int = 0


@dataclass
class AutoReconciled:
    """What accepting the agreed codings did, for the message the reconciler reads."""

    created: int = 0  # final codings added
    units: int = 0  # (State, code) pairs all coders applied
    already: int = 0  # of those, already in the final coding
    kept_removed: int = 0  # of those, removed from the final coding by a person earlier
    conflicts: list[str] = field(default_factory=list)  # exclusive groups left to a person
    disagreements: int = 0  # (State, code) pairs the coders differ on, left to a person


def _lock(questionnaire: Questionnaire) -> None:
    # One reconciler at a time per questionnaire: two could otherwise add the same
    # final coding under different names.
    Questionnaire.objects.select_for_update().filter(pk=questionnaire.pk).first()


def _exclusive_conflict(*, response: Response, code: Code, answers: list[Answer]) -> Coding | None:
    """A final coding of another code of ``code``'s exclusive group, same State and question."""
    if not code.exclusive_group:
        return None
    return (Coding.objects.filter(final=True, answer__response=response,
                                  answer__question_id__in={a.question_id for a in answers},
                                  code__questionnaire_id=code.questionnaire_id,
                                  code__exclusive_group=code.exclusive_group)
            .exclude(code=code).select_related("code").first())


@transaction.atomic
def reconcile_accept(*, questionnaire: Questionnaire, user, state: State, code: Code,
                     apply: bool, answers: list[Answer] | None = None) -> Reconciled:
    """Decide one (State, code): in the final coding (``apply``) or not.

    Applied, the final coding goes on the answers where coders applied the code (or on
    ``answers``, or else on the State's answer to the code's question); not applied,
    every final coding of the code on the State's answers is removed.
    """
    if code.questionnaire_id != questionnaire.pk:
        raise ReconcileError(_("The code “%(code)s” is not in the codebook of %(q)s.")
                             % {"code": code.key, "q": questionnaire.code})
    _lock(questionnaire)
    response = (Response.objects.filter(recipient__questionnaire=questionnaire,
                                        recipient__state=state,
                                        status=Response.Status.SUBMITTED).first())
    if response is None:
        raise ReconcileError(_("%(state)s has not submitted a reply to %(q)s.")
                             % {"state": state, "q": questionnaire.code})
    finals = Coding.objects.filter(final=True, code=code, answer__response=response)
    if not apply:
        removed = 0
        for coding in finals:
            coding._history_user = user  # the history names the reconciler
            coding.delete()
            removed += 1
        return Reconciled(removed=removed)

    state_answers = {a.pk: a for a in response.answers.all()}
    coders = Coding.objects.filter(final=False, code=code, answer__response=response)
    if answers is not None:
        if not answers or any(a.pk not in state_answers for a in answers):
            raise ReconcileError(_("Choose answers from the reply of %(state)s.")
                                 % {"state": state})
        targets = list(answers)
    else:
        targets = [state_answers[pk] for pk in
                   sorted(set(coders.values_list("answer_id", flat=True)))]
        if not targets and code.question_id:
            targets = [a for a in state_answers.values() if a.question_id == code.question_id]
        if not targets:
            raise ReconcileError(
                _("No coder applied “%(code)s” to %(state)s and the code is not tied to a "
                  "question: say which answer it applies to.")
                % {"code": code.label, "state": state})
    conflict = _exclusive_conflict(response=response, code=code, answers=targets)
    if conflict is not None:
        raise ReconcileError(
            _("“%(code)s” and “%(other)s” exclude each other (group “%(group)s”), and the "
              "final coding already gives %(state)s “%(other)s” for this question. Remove "
              "it first.")
            % {"code": code.label, "other": conflict.code.label, "group": code.exclusive_group,
               "state": state})
    present = set(finals.values_list("answer_id", flat=True))
    excerpts = {}
    for answer_id, excerpt in coders.exclude(excerpt="").order_by("pk").values_list(
            "answer_id", "excerpt"):
        excerpts.setdefault(answer_id, excerpt)
    created = 0
    for answer in targets:
        if answer.pk in present:
            continue
        coding = Coding(answer=answer, code=code, coder=user, final=True,
                        excerpt=excerpts.get(answer.pk, ""))
        coding._history_user = user
        coding.save()
        created += 1
    return Reconciled(created=created)


@transaction.atomic
def reconcile_auto_agreed(*, questionnaire: Questionnaire, user, coders=None,
                          as_of: dt.date | None = None) -> AutoReconciled:
    """Copy into the final coding every (State, code) that all coders applied.

    Those no coder applied need nothing; those they differ on are left to a person.
    By default every submitted reply counts, whatever its date (``as_of`` limits it).
    Idempotent. A fixed number of queries, plus the inserts.
    """
    _lock(questionnaire)
    matrix = coding_matrix(questionnaire=questionnaire, coders=coders,
                           as_of=as_of or dt.date.max)
    frame = matrix.frame
    result = AutoReconciled()
    if frame.shape[1] == 0 or frame.empty:
        return result
    agreed = frame[frame.eq(1).all(axis=1)].index
    result.disagreements = int((frame.nunique(axis=1) > 1).sum())
    result.units = len(agreed)
    if not len(agreed):
        return result

    codes = {c.pk: c for c in matrix.codes}
    compared = matrix.codings[matrix.codings["coder_id"].isin(frame.columns)]
    units = compared.set_index(["recipient_id", "code_id"]).loc[
        lambda f: f.index.isin(agreed)].reset_index()
    finals = list(Coding.objects.filter(final=True, code__questionnaire=questionnaire)
                  .values_list("answer_id", "code_id", "answer__response__recipient_id",
                               "answer__question_id"))
    present = {(a, c) for a, c, _r, _q in finals}
    removed = set(Coding.history.filter(final=True, history_type="-", code_id__in=list(codes))
                  .values_list("answer_id", "code_id"))

    # Exclusive groups, per State and question: what the final coding holds already...
    groups: dict[tuple, set[int]] = defaultdict(set)
    for _a, code_id, recipient_id, question_id in finals:
        if code_id in codes and codes[code_id].exclusive_group:
            groups[(recipient_id, question_id, codes[code_id].exclusive_group)].add(code_id)
    # ...and what accepting would add.
    candidates: dict[tuple, dict] = {}
    for recipient_id, code_id, answer_id, question_id, excerpt in units[
            ["recipient_id", "code_id", "answer_id", "question_id", "excerpt"]].itertuples(
                index=False):
        unit = candidates.setdefault((recipient_id, code_id), {})
        if answer_id not in unit or (excerpt and not unit[answer_id][1]):
            unit[answer_id] = (question_id, excerpt)
    for (recipient_id, code_id), unit in candidates.items():
        group = codes[code_id].exclusive_group
        if group:
            for question_id, _excerpt in unit.values():
                groups[(recipient_id, question_id, group)].add(code_id)

    names = dict(matrix.respondents[["recipient_id", "name"]].itertuples(index=False)) \
        if len(matrix.respondents) else {}
    rows = []
    for (recipient_id, code_id), unit in candidates.items():
        code = codes[code_id]
        if all((answer_id, code_id) in present for answer_id in unit):
            result.already += 1
            continue
        if any((answer_id, code_id) in removed for answer_id in unit):
            result.kept_removed += 1
            continue
        clash = [codes[c] for question_id, _e in unit.values()
                 for c in groups.get((recipient_id, question_id, code.exclusive_group), ())
                 ] if code.exclusive_group else []
        if len({c.pk for c in clash}) > 1:
            result.conflicts.append(
                _("%(state)s: %(codes)s exclude each other (group “%(group)s”).")
                % {"state": names.get(recipient_id, recipient_id),
                   "codes": " / ".join(sorted({f"“{c.label}”" for c in clash})),
                   "group": code.exclusive_group})
            continue
        rows += [Coding(answer_id=answer_id, code_id=code_id, coder=user, final=True,
                        excerpt=excerpt)
                 for answer_id, (_question, excerpt) in unit.items()
                 if (answer_id, code_id) not in present]
    if rows:
        bulk_create_with_history(rows, Coding, default_user=user)
    result.created = len(rows)
    result.conflicts = list(dict.fromkeys(result.conflicts))
    return result

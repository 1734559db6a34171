"""Agreement between coders, and the disagreements left to reconcile.

The unit is one replying State × one code, applied or not by each coder: a code counts
as applied to a State if the coder applied it to any of that State's answers, so the
figures measure what the tallies count (States, not passages).

Only States that every compared coder **has coded** are units: a coder has coded a
State once they saved its reply on the coding screen (with codes or without:
:class:`~analysis.models.ReplyReview`) or applied a code to one of its answers. A
State a coder has not reached yet would otherwise count as "applied nothing", and
inflate the disagreement; the page says how many States were left out.

Statistics come from maintained libraries, not from formulas written here: Cohen's
kappa (``sklearn.metrics.cohen_kappa_score``) when exactly two coders are compared,
Krippendorff's alpha (``krippendorff.alpha``, nominal) for two or more, and the plain
share of units on which all coders agree. When a statistic is undefined (no
variation: every coder applied the code to every State, or to none) it is ``None``
with the reason, never NaN. Per code, and overall by pooling every (State, code) unit.

Both functions run a fixed number of queries whatever the number of States, codes
or codings; the matrix is a pandas DataFrame.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from analysis import tallies
from analysis.models import Code, Coding, ReplyReview
from surveys.models import Answer, Questionnaire, State

# scikit-learn and krippendorff are imported when agreement is computed, not when the
# admin loads: every manage.py run (the outbox worker's every minute included) would
# otherwise spend about a second importing scikit-learn.


def _cohen_kappa(first, second) -> float:
    from sklearn.metrics import cohen_kappa_score

    return cohen_kappa_score(first, second, labels=[0, 1])


def _krippendorff_alpha(**kwargs) -> float:
    import krippendorff

    return krippendorff.alpha(**kwargs)


@dataclass
class Agreement:
    """Agreement on one code (``code`` None: overall, every code pooled)."""

    code: Code | None
    units: int
    agreed: int
    kappa: float | None
    alpha: float | None
    kappa_note: str = ""  # why kappa is None
    alpha_note: str = ""  # why alpha is None
    applied: dict[int, int] = field(default_factory=dict)  # coder id → units applied

    @property
    def percent_agreement(self) -> float | None:
        return 100 * self.agreed / self.units if self.units else None


@dataclass
class AgreementReport:
    """Agreement of a set of coders on a questionnaire: per code and overall."""

    coders: list
    states: int  # units per code: replying States coded by every coder
    respondents: int  # replying States
    codes: list[Agreement]
    overall: Agreement
    as_of: dt.date

    @property
    def states_left_out(self) -> int:
        return self.respondents - self.states


@dataclass
class Disagreement:
    """One (State, code) the coders did not all decide alike: a person settles it."""

    state: State
    code: Code
    applied_by: list
    not_applied_by: list
    answers: list[Answer]  # where coders applied it, and the answer to the code's question
    excerpts: list[tuple[object, str]]  # (coder, excerpt) as coders marked them
    in_final: bool  # the reconciled coding holds it now


@dataclass
class CodingMatrix:
    """States × codes × coders, 0/1, plus what the screens need to show it."""

    coders: list
    frame: pd.DataFrame  # index (recipient_id, code_id), one 0/1 column per coder id
    codes: list[Code]
    codings: pd.DataFrame  # coder_id, code_id, recipient_id, answer_id, question_id, excerpt
    respondents: pd.DataFrame
    as_of: dt.date


def _coder_ids(coders) -> list[int] | None:
    if coders is None:
        return None
    return [getattr(c, "pk", c) for c in coders]


def coding_matrix(*, questionnaire: Questionnaire, coders=None,
                  as_of: dt.date | None = None) -> CodingMatrix:
    """The applied-or-not matrix of the compared coders (five queries).

    ``coders``: users or ids; by default everyone with a coding of this questionnaire
    other than the final one.
    """
    day = tallies.tally_date(questionnaire=questionnaire, as_of=as_of)
    frame = tallies.respondents(questionnaire=questionnaire, as_of=day)
    codes = list(Code.objects.filter(questionnaire=questionnaire).order_by("order", "id"))
    wanted = _coder_ids(coders)
    rows = Coding.objects.filter(final=False, code__questionnaire=questionnaire,
                                 answer__response__recipient__questionnaire=questionnaire)
    if wanted is not None:
        rows = rows.filter(coder_id__in=wanted)
    codings = pd.DataFrame.from_records(
        list(rows.order_by().values_list("coder_id", "code_id", "answer__response__recipient_id",
                                         "answer_id", "answer__question_id", "excerpt")),
        columns=["coder_id", "code_id", "recipient_id", "answer_id", "question_id", "excerpt"])
    codings = codings[codings["recipient_id"].isin(set(frame["recipient_id"]))]
    ids = wanted if wanted is not None else sorted(set(codings["coder_id"]))
    users = get_user_model().objects.in_bulk(ids)
    coder_list = [users[i] for i in ids if i in users]
    ids = [u.pk for u in coder_list]

    # States every compared coder has coded: saved on the coding screen, with codes or
    # without, or holding one of the coder's codings.
    reviewed: dict[int, set[int]] = {}
    for coder_id, recipient_id in (ReplyReview.objects.filter(
            coder_id__in=ids, response__recipient__questionnaire=questionnaire)
            .values_list("coder_id", "response__recipient_id")):
        reviewed.setdefault(coder_id, set()).add(recipient_id)
    replying = set(frame["recipient_id"])
    common = None
    for coder_id in ids:
        coded = set(codings.loc[codings["coder_id"] == coder_id, "recipient_id"])
        coded |= reviewed.get(coder_id, set()) & replying
        common = coded if common is None else common & coded
    states = sorted(common or [])
    index = pd.MultiIndex.from_product([states, [c.pk for c in codes]],
                                       names=["recipient_id", "code_id"])
    applied = (codings[codings["recipient_id"].isin(states)]
               [["recipient_id", "code_id", "coder_id"]].drop_duplicates().assign(value=1))
    if applied.empty:
        matrix = pd.DataFrame(0, index=index, columns=ids, dtype="int64")
    else:
        matrix = (applied.pivot_table(index=["recipient_id", "code_id"], columns="coder_id",
                                      values="value", aggfunc="max")
                  .reindex(index=index, columns=ids).fillna(0).astype("int64"))
    matrix.columns.name = "coder_id"
    return CodingMatrix(coders=coder_list, frame=matrix, codes=codes, codings=codings,
                        respondents=frame, as_of=day)


def _statistics(values: np.ndarray, coders: int) -> tuple[float | None, str, float | None, str]:
    """(kappa, why not, alpha, why not) for a units × coders 0/1 array."""
    if coders < 2:
        note = _("Agreement needs at least two coders.")
        return None, note, None, note
    if len(values) == 0:
        note = _("No State has been coded by every coder yet.")
        return None, note, None, note
    if np.unique(values).size < 2:
        note = _("Undefined: every coder applied this code to every State, or to none, so "
                 "agreement by chance is total.")
        return None, note, None, note
    kappa, kappa_note = None, _("Cohen's kappa compares exactly two coders; see alpha.")
    if coders == 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kappa = float(_cohen_kappa(values[:, 0], values[:, 1]))
        kappa_note = ""
        if np.isnan(kappa):
            kappa, kappa_note = None, _("Undefined for these values.")
    try:
        alpha = float(_krippendorff_alpha(reliability_data=values.T,
                                         level_of_measurement="nominal"))
        alpha_note = ""
    except ValueError:
        alpha = None
    if alpha is None or np.isnan(alpha):
        alpha, alpha_note = None, _("Undefined for these values.")
    return kappa, kappa_note, alpha, alpha_note


def _agreement(code: Code | None, frame: pd.DataFrame) -> Agreement:
    values = frame.to_numpy()
    kappa, kappa_note, alpha, alpha_note = _statistics(values, frame.shape[1])
    agreed = int((frame.nunique(axis=1) == 1).sum()) if len(frame) else 0
    return Agreement(code=code, units=len(frame), agreed=agreed, kappa=kappa, alpha=alpha,
                     kappa_note=kappa_note, alpha_note=alpha_note,
                     applied={int(c): int(frame[c].sum()) for c in frame.columns})


def agreement(*, questionnaire: Questionnaire, coders=None,
              as_of: dt.date | None = None) -> AgreementReport:
    """Kappa (two coders), alpha and percent agreement per code and overall."""
    matrix = coding_matrix(questionnaire=questionnaire, coders=coders, as_of=as_of)
    frame = matrix.frame
    by_code = frame.groupby(level="code_id")
    per_code = []
    for code in matrix.codes:
        rows = by_code.get_group(code.pk) if code.pk in by_code.groups else frame.iloc[0:0]
        per_code.append(_agreement(code, rows))
    states = frame.index.get_level_values("recipient_id").nunique()
    return AgreementReport(coders=matrix.coders, states=int(states),
                           respondents=len(matrix.respondents), codes=per_code,
                           overall=_agreement(None, frame), as_of=matrix.as_of)


def disagreements(*, questionnaire: Questionnaire, coders=None,
                  as_of: dt.date | None = None) -> list[Disagreement]:
    """Every (State, code) on which the compared coders differ, by code then State.

    Each comes with the answers concerned (where a coder applied the code, and the
    answer to the code's question) and whether the final coding holds it now. Six
    queries, whatever the number of disagreements.
    """
    matrix = coding_matrix(questionnaire=questionnaire, coders=coders, as_of=as_of)
    frame = matrix.frame
    if frame.shape[1] < 2 or frame.empty:
        return []
    split = frame[frame.nunique(axis=1) > 1]
    if split.empty:
        return []
    recipient_ids = sorted(set(split.index.get_level_values("recipient_id")))
    codings = matrix.codings[matrix.codings["recipient_id"].isin(recipient_ids)
                             & matrix.codings["coder_id"].isin(frame.columns)]
    answers = {}
    for answer in (Answer.objects.filter(response__recipient_id__in=recipient_ids)
                   .select_related("question", "response__recipient__state")
                   .order_by("question__order", "question_id")):
        answers.setdefault(answer.response.recipient_id, []).append(answer)
    final = set(Coding.objects.filter(final=True, answer__response__recipient_id__in=recipient_ids)
                .values_list("answer__response__recipient_id", "code_id"))
    codes = {c.pk: c for c in matrix.codes}
    coders = {u.pk: u for u in matrix.coders}
    found = []
    for (recipient_id, code_id), row in split.iterrows():
        code = codes[code_id]
        mine = codings[(codings["recipient_id"] == recipient_id)
                       & (codings["code_id"] == code_id)]
        concerned = set(mine["answer_id"])
        state_answers = answers.get(recipient_id, [])
        shown = [a for a in state_answers
                 if a.pk in concerned or (code.question_id and a.question_id == code.question_id)]
        found.append(Disagreement(
            state=state_answers[0].response.recipient.state if state_answers else None,
            code=code,
            applied_by=[coders[c] for c in frame.columns if row[c]],
            not_applied_by=[coders[c] for c in frame.columns if not row[c]],
            answers=shown,
            excerpts=[(coders[c], text) for c, text in
                      mine[["coder_id", "excerpt"]].itertuples(index=False) if text],
            in_final=(recipient_id, code_id) in final,
        ))
    order = {c.pk: i for i, c in enumerate(matrix.codes)}
    found.sort(key=lambda d: (order[d.code.pk], d.state.name_en if d.state else ""))
    return found

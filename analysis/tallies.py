"""Tallies of views: how many replying States hold each view, overall and by group.

INTERFACE (the report, charts and the ``tally`` command use exactly these functions).
Counts are of States, never of passages, and only the reconciled (``final``) coding
counts: a State holding a view in two answers, or coded twice, counts once.
``as_of`` limits everything to the replies received by that date (submitted responses
with ``received_on <= as_of``); without it, replies received by the questionnaire's
cut-off count (by today if it has no cut-off). Each function runs a fixed number of
queries, whatever the number of States, codes or codings.

def respondents(*, questionnaire, as_of=None) -> pandas.DataFrame
    One row per replying State, by name: recipient_id, iso3, m49, name, region,
    subregion, is_ldc, is_lldc, is_sids, is_developed, is_member, received_on,
    channel, timing.

def code_tally(*, questionnaire, as_of=None, by=None) -> pandas.DataFrame
    One row per code in codebook order (or per code × group when ``by`` is "region",
    "subregion" or "group"): key, label, [group], count (States holding it),
    respondents (the base: replying States, in that group), recipients (States asked,
    in that group), share_respondents, share_recipients (NaN when the base is 0).
    Groups with no recipient are left out; groups with recipients but no respondent
    are kept (count 0, base 0). With ``by="group"`` a State is in every group it
    belongs to (LDC, LLDC, SIDS) and in exactly one of Developed / Developing.

def participation(*, questionnaire, as_of=None) -> Participation
    recipients, respondents, members (respondents that are Member States), on_time
    (received by the deadline), late (after it), as_of (the date used), deadline,
    by_region DataFrame (region, recipients, respondents, share).

def crosstab(*, questionnaire, key_a, key_b, as_of=None) -> pandas.DataFrame
    2 × 2 counts of replying States: rows ``key_a`` held (True) or not (False),
    columns ``key_b`` likewise (index and columns are named after the keys).

def choice_tally(*, questionnaire, question_code, as_of=None, by=None) -> pandas.DataFrame
    For a yes/no, single or multiple choice question, one row per choice in the
    question's order (or per choice × group): value, label, [group], count (States
    that chose it), answered (States that chose anything: the base for choices),
    respondents, recipients, share_answered, share_respondents. A value that is no
    longer among the choices is kept, after them, labelled by its value.

Also: ``recipients`` (every State asked, with ``replied``), ``holders`` (the States
behind each count), ``tally_date`` (the date the counts stand at).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
from dataclasses import dataclass

import pandas as pd
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analysis.models import Code, Coding
from surveys.models import Answer, Question, Questionnaire, Recipient, Response, State, timing_of
from surveys.reply_form import question_choices

# The groupings a tally can be broken down by.
BY_CHOICES = ("region", "subregion", "group")

# Country groups in the order reports list them; a State may be in several.
GROUPS = ("LDC", "LLDC", "SIDS", "Developed", "Developing")
GROUP_LABELS = {
    "LDC": gettext_lazy("Least developed countries (LDC)"),
    "LLDC": gettext_lazy("Landlocked developing countries (LLDC)"),
    "SIDS": gettext_lazy("Small island developing States (SIDS)"),
    "Developed": gettext_lazy("Developed"),
    "Developing": gettext_lazy("Developing"),
}

STATE_COLUMNS = ["recipient_id", "iso3", "m49", "name", "region", "subregion", "is_ldc",
                 "is_lldc", "is_sids", "is_developed", "is_member"]
RESPONDENT_COLUMNS = [*STATE_COLUMNS, "received_on", "channel", "timing"]


@dataclass
class Participation:
    """Who was asked and who had replied by a date: the report's first sentence."""

    recipients: int
    respondents: int
    members: int
    on_time: int
    late: int
    as_of: dt.date
    deadline: dt.date | None
    by_region: pd.DataFrame

    @property
    def all_members(self) -> bool:
        return self.members == self.respondents


_READING: contextvars.ContextVar[dict | None] = contextvars.ContextVar("tallies_reading",
                                                                     default=None)


@contextlib.contextmanager
def one_reading():
    """Within this block, tallies read the States asked and the final coding once per
    questionnaire and date, however many tallies are computed: a report computes a
    dozen from the same data (at 20,000 States, most of its time). Use it around one
    report, not across changes to the data.
    """
    token = _READING.set({})
    try:
        yield
    finally:
        _READING.reset(token)


def _read_once(key: tuple, read):
    memo = _READING.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key].copy()  # callers may change what they get


def tally_date(*, questionnaire: Questionnaire, as_of: dt.date | None = None) -> dt.date:
    """The date the counts stand at: ``as_of``, else the cut-off, else today."""
    return as_of or questionnaire.cutoff or timezone.localdate()


def _check_by(by: str | None) -> None:
    if by is not None and by not in BY_CHOICES:
        raise ValueError(_("Tally by one of %(choices)s, not “%(by)s”.")
                         % {"choices": ", ".join(BY_CHOICES), "by": by})


def recipients(*, questionnaire: Questionnaire, as_of: dt.date | None = None) -> pd.DataFrame:
    """Every State asked (one query), with ``replied``: whether its reply counts by then.

    A submitted reply counts from the day it was received (the day it was submitted,
    if the receipt date is missing); a draft never counts.
    """
    day = tally_date(questionnaire=questionnaire, as_of=as_of)
    return _read_once(("recipients", questionnaire.pk, day),
                      lambda: _recipients(questionnaire, day))


def _recipients(questionnaire: Questionnaire, day: dt.date) -> pd.DataFrame:
    rows = (
        Recipient.objects.filter(questionnaire=questionnaire).order_by("state__name_en")
        .values_list("pk", "state__iso3", "state__m49", "state__name_en", "state__region",
                     "state__subregion", "state__is_ldc", "state__is_lldc", "state__is_sids",
                     "state__is_developed", "state__status", "response__status",
                     "response__received_on", "response__submitted_at", "response__channel"))
    submitted_status, member = Response.Status.SUBMITTED, State.Status.MEMBER
    timings: dict = {}  # received_on → timing: a few hundred dates for any number of States
    records = []  # tuples, not dicts: tens of thousands of States
    for (pk, iso3, m49, name, region, subregion, ldc, lldc, sids, developed, status,
         response_status, received, submitted_at, channel) in rows:
        submitted = response_status == submitted_status
        if submitted and received is None and submitted_at is not None:
            received = timezone.localdate(submitted_at)
        if submitted and (received is None or received <= day):
            timing = timings.get(received)
            if timing is None:
                timing = timings[received] = timing_of(received, questionnaire)
            records.append((pk, iso3, m49, name, region, subregion, ldc, lldc, sids, developed,
                            status == member, received, channel, timing, True))
        else:
            records.append((pk, iso3, m49, name, region, subregion, ldc, lldc, sids, developed,
                            status == member, None, None, None, False))
    frame = pd.DataFrame.from_records(records, columns=[*RESPONDENT_COLUMNS, "replied"])
    return frame.astype({"recipient_id": "int64", "m49": "int64", "is_ldc": bool,
                         "is_lldc": bool, "is_sids": bool, "is_developed": bool,
                         "is_member": bool, "replied": bool})


def respondents(*, questionnaire: Questionnaire, as_of: dt.date | None = None) -> pd.DataFrame:
    """One row per State whose submitted reply was received by ``as_of`` (one query)."""
    frame = recipients(questionnaire=questionnaire, as_of=as_of)
    return frame[frame["replied"]][RESPONDENT_COLUMNS].reset_index(drop=True)


def _memberships(frame: pd.DataFrame, by: str) -> tuple[pd.DataFrame, list[str]]:
    """(recipient_id, group) pairs and the groups in report order.

    Regions and sub-regions sort by name (sub-regions within their region); country
    groups keep the order of :data:`GROUPS`, and a State may belong to several.
    """
    if by in ("region", "subregion"):
        pairs = frame[["recipient_id", by]].rename(columns={by: "group"})
        keys = ["region", "subregion"] if by == "subregion" else ["region"]
        # The few distinct groups sorted, not the thousands of rows.
        order = frame[keys].drop_duplicates().sort_values(keys)[by].drop_duplicates().tolist()
        return pairs, order
    parts = []
    for group, mask in (("LDC", frame["is_ldc"]), ("LLDC", frame["is_lldc"]),
                        ("SIDS", frame["is_sids"]), ("Developed", frame["is_developed"]),
                        ("Developing", ~frame["is_developed"])):
        parts.append(pd.DataFrame({"recipient_id": frame.loc[mask, "recipient_id"],
                                   "group": group}))
    pairs = pd.concat(parts, ignore_index=True)
    present = set(pairs["group"])
    return pairs, [g for g in GROUPS if g in present]


def _share(count: pd.Series, base: pd.Series) -> pd.Series:
    return (count / base.where(base > 0)).astype("float64")


def _bases(frame: pd.DataFrame, by: str | None) -> tuple[pd.DataFrame, pd.DataFrame, list]:
    """(memberships, per-group recipients and respondents, group order)."""
    if by is None:
        pairs = pd.DataFrame({"recipient_id": frame["recipient_id"], "group": ""})
        order = [""]
    else:
        pairs, order = _memberships(frame, by)
    pairs = pairs.merge(frame[["recipient_id", "replied"]], on="recipient_id")
    bases = pairs.groupby("group").agg(recipients=("recipient_id", "size"),
                                       respondents=("replied", "sum"))
    bases = bases.reindex(order, fill_value=0).astype("int64")
    return pairs, bases, order


def _final_holdings(questionnaire: Questionnaire) -> pd.DataFrame:
    """(code_id, recipient_id) of every final coding, one row per State and code (one query)."""
    return _read_once(("holdings", questionnaire.pk), lambda: _read_holdings(questionnaire))


def _read_holdings(questionnaire: Questionnaire) -> pd.DataFrame:
    rows = (Coding.objects.filter(final=True, code__questionnaire=questionnaire,
                                  answer__response__recipient__questionnaire=questionnaire)
            .values_list("code_id", "answer__response__recipient_id").distinct().order_by())
    frame = pd.DataFrame.from_records(list(rows), columns=["code_id", "recipient_id"])
    return frame.astype("int64").drop_duplicates()


def _codebook(questionnaire: Questionnaire) -> pd.DataFrame:
    rows = list(Code.objects.filter(questionnaire=questionnaire).order_by("order", "id")
                .values("id", "key", "label"))
    return pd.DataFrame.from_records(rows, columns=["id", "key", "label"])


def _counts_table(items: pd.DataFrame, item_columns: list[str], held: pd.DataFrame,
                  pairs: pd.DataFrame, bases: pd.DataFrame, order: list) -> pd.DataFrame:
    """Items (codes or choices) × groups, in that order, with the States holding each
    item and the group's bases. ``held``: unique (item, recipient_id) of replying States.
    """
    counted = held.merge(pairs[["recipient_id", "group"]], on="recipient_id")
    counts = counted.groupby(["item", "group"]).size()
    grid = pd.MultiIndex.from_product([range(len(items)), order], names=["item", "group"])
    table = counts.reindex(grid, fill_value=0).astype("int64").rename("count").reset_index()
    # Left joins keep the grid's order: items in order, then groups in order.
    table = table.merge(items[item_columns].reset_index(drop=True).rename_axis("item")
                        .reset_index(), on="item", how="left")
    table = table.merge(bases, left_on="group", right_index=True, how="left")
    return table[[*item_columns, "group", "count", "respondents", "recipients"]]


def code_tally(*, questionnaire: Questionnaire, as_of: dt.date | None = None,
               by: str | None = None) -> pd.DataFrame:
    """States holding each view in the final coding, with the bases (three queries)."""
    _check_by(by)
    frame = recipients(questionnaire=questionnaire, as_of=as_of)
    codes = _codebook(questionnaire)
    holdings = _final_holdings(questionnaire)
    replied = set(frame.loc[frame["replied"], "recipient_id"])
    position = {code_id: i for i, code_id in enumerate(codes["id"])}
    held = holdings[holdings["recipient_id"].isin(replied)
                    & holdings["code_id"].isin(position)]
    held = pd.DataFrame({"item": held["code_id"].map(position).astype("int64"),
                         "recipient_id": held["recipient_id"]})
    pairs, bases, order = _bases(frame, by)
    table = _counts_table(codes, ["key", "label"], held, pairs, bases, order)
    table["share_respondents"] = _share(table["count"], table["respondents"])
    table["share_recipients"] = _share(table["count"], table["recipients"])
    return table if by else table.drop(columns="group")


def participation(*, questionnaire: Questionnaire,
                  as_of: dt.date | None = None) -> Participation:
    """Recipients, respondents (by the deadline and after), overall and by region."""
    day = tally_date(questionnaire=questionnaire, as_of=as_of)
    frame = recipients(questionnaire=questionnaire, as_of=day)
    replied = frame[frame["replied"]]
    deadline = questionnaire.deadline
    on_time = int(sum(1 for received in replied["received_on"]
                      if deadline is None or received is None or received <= deadline))
    by_region = (frame.groupby("region").agg(recipients=("recipient_id", "size"),
                                             respondents=("replied", "sum"))
                 .astype("int64").reset_index())
    by_region["share"] = _share(by_region["respondents"], by_region["recipients"])
    return Participation(recipients=len(frame), respondents=len(replied),
                         members=int(replied["is_member"].sum()), on_time=on_time,
                         late=len(replied) - on_time, as_of=day, deadline=deadline,
                         by_region=by_region)


def _code_ids(questionnaire: Questionnaire, keys: list[str]) -> dict[str, int]:
    found = dict(Code.objects.filter(questionnaire=questionnaire, key__in=keys)
                 .values_list("key", "id"))
    missing = [k for k in keys if k not in found]
    if missing:
        raise ValueError(_("No code “%(key)s” in the codebook of %(questionnaire)s.")
                         % {"key": missing[0], "questionnaire": questionnaire.code})
    return found


def crosstab(*, questionnaire: Questionnaire, key_a: str, key_b: str,
             as_of: dt.date | None = None) -> pd.DataFrame:
    """How many replying States hold both views, one, or neither (2 × 2, three queries)."""
    ids = _code_ids(questionnaire, [key_a, key_b])
    frame = respondents(questionnaire=questionnaire, as_of=as_of)
    holdings = _final_holdings(questionnaire)

    def holders(key):
        return set(holdings.loc[holdings["code_id"] == ids[key], "recipient_id"])

    a = frame["recipient_id"].isin(holders(key_a)).rename(key_a)
    b = frame["recipient_id"].isin(holders(key_b)).rename(key_b)
    table = pd.crosstab(a, b) if len(frame) else pd.DataFrame()
    both = pd.Index([True, False])
    table = table.reindex(index=both, columns=both, fill_value=0).astype("int64")
    table.index.name, table.columns.name = key_a, key_b
    return table


def choice_tally(*, questionnaire: Questionnaire, question_code: str,
                 as_of: dt.date | None = None, by: str | None = None,
                 language: str | None = None) -> pd.DataFrame:
    """States per choice of a choice question, overall or by group (four queries).

    Labels are in ``language`` (the questionnaire's main language by default).
    """
    _check_by(by)
    question = (Question.objects.filter(questionnaire=questionnaire, code=question_code)
                .prefetch_related("choices").first())
    if question is None:
        raise ValueError(_("No question “%(code)s” in %(questionnaire)s.")
                         % {"code": question_code, "questionnaire": questionnaire.code})
    if not question.has_choices:
        raise ValueError(_("“%(code)s” is not a choice question.") % {"code": question_code})
    fallback = questionnaire.default_language
    choices = question_choices(question, language or fallback, fallback)
    frame = recipients(questionnaire=questionnaire, as_of=as_of)
    replied = set(frame.loc[frame["replied"], "recipient_id"])
    chosen = []
    # Values read as JSON text, each distinct one decoded once: they repeat (["yes"]).
    decoded: dict[str, object] = {}
    for recipient_id, raw in (Answer.objects.filter(question=question).order_by()
                              .annotate(raw=Cast("value", TextField()))
                              .values_list("response__recipient_id", "raw")):
        if recipient_id not in replied or raw is None:
            continue
        value = decoded.get(raw)
        if value is None:
            value = decoded[raw] = json.loads(raw)
        if not value:
            continue
        for item in value if isinstance(value, list) else [value]:
            chosen.append((recipient_id, str(item)))
    chosen = pd.DataFrame.from_records(chosen, columns=["recipient_id", "value"])
    chosen = chosen.drop_duplicates()
    known = [value for value, _label in choices]
    extra = sorted(set(chosen["value"].tolist()) - set(known))
    items = pd.DataFrame.from_records([*choices, *((v, v) for v in extra)],
                                      columns=["value", "label"])
    position = {value: i for i, value in enumerate(items["value"])}
    held = pd.DataFrame({"item": chosen["value"].map(position).astype("int64"),
                         "recipient_id": chosen["recipient_id"].astype("int64")})
    pairs, bases, order = _bases(frame, by)
    table = _counts_table(items, ["value", "label"], held, pairs, bases, order)
    answered = (pairs[pairs["recipient_id"].isin(set(held["recipient_id"]))]
                .groupby("group").size().reindex(order, fill_value=0))
    table["answered"] = table["group"].map(answered).astype("int64")
    table["share_answered"] = _share(table["count"], table["answered"])
    table["share_respondents"] = _share(table["count"], table["respondents"])
    columns = ["value", "label", *(["group"] if by else []), "count", "answered",
               "respondents", "recipients", "share_answered", "share_respondents"]
    return table[columns]


def holders(*, questionnaire: Questionnaire,
            as_of: dt.date | None = None) -> dict[str, list[tuple[str, str]]]:
    """The replying States behind each count: code key → [(ISO3, name)], by name.

    What a drafter checks before writing "only three" (three queries).
    """
    frame = respondents(questionnaire=questionnaire, as_of=as_of)
    codes = _codebook(questionnaire)
    holdings = _final_holdings(questionnaire)
    # Joined, not looked up holding by holding: tens of thousands of holdings at scale.
    held = (holdings.merge(codes.rename(columns={"id": "code_id"})[["code_id", "key"]],
                           on="code_id")
            .merge(frame[["recipient_id", "iso3", "name"]], on="recipient_id")
            .sort_values("name", kind="stable"))
    found: dict[str, list[tuple[str, str]]] = {key: [] for key in codes["key"]}
    for key, iso3, name in zip(held["key"].tolist(), held["iso3"].tolist(),
                               held["name"].tolist(), strict=True):
        found[key].append((iso3, name))
    return found

"""Report language: counts turned into the words of a report, always with the figures.

INTERFACE (the report and the ``tally`` command use exactly these functions):

def quantity_phrase(count: int, base: int, *, noun="respondents") -> Phrase
    Phrase(words="one in every six", count=11, base=64, text="one in every six
    respondents (11 of 64)") following the legend below (and docs/analysis.md).

def participation_sentence(*, questionnaire, as_of=None) -> str
    "By 15 July 2008, 64 Member States had replied to the questionnaire."

def view_sentences(*, questionnaire, as_of=None) -> list[ViewSentence]
    One draft sentence per code with its Phrase and the States behind it.

THE LEGEND. A vague word alone misleads ("many" of 7?), so a phrase is always
followed by the exact figures, "(11 of 64)". The first rule that applies wins:

1. no respondents (base 0): "no respondents yet (0 of 0)";
2. none (count 0): "none of the respondents (0 of 64)";
3. a base of one: "the only respondent (1 of 1)";
4. all (count = base): "all respondents (64 of 64)", "both respondents (2 of 2)";
5. a small base (under :data:`SMALL_BASE`): exact words, "two of the three respondents";
6. only N (1 to :data:`ONLY_MAX_COUNT` States, at most :data:`ONLY_MAX_SHARE` of the
   base): "only three respondents (3 of 64)";
7. one in every N (N = 3 to 10, the share less than :data:`FRACTION_TOLERANCE` away
   from 1/N, relative): "one in every six respondents (11 of 64)" — a fraction says
   more than a vague word, so it wins wherever it fits;
8. two or three States (up to :data:`FEW_MAX_COUNT`) not covered above: exact words,
   "two of the 11 respondents" — "several" would overstate two;
9. the vague words of :data:`BANDS`, by share: virtually all (≥ 90 %), most (≥ 2/3),
   a majority (> 1/2), half (exactly), nearly half (≥ 47.5 %), many (≥ 30 %),
   some (≥ 20 %), several (≥ 10 %), a few (below).

The words live in :data:`WORDS`, one table per language. Reports of the Secretariat
are drafted in English, so only English is written; another language is a new
entry of the same keys (the report language does not follow the staff's screen
language, so these are not gettext strings).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from fractions import Fraction

from analysis import tallies
from surveys.models import Questionnaire

SMALL_BASE = 10  # below this many respondents, counts are given exactly in words
ONLY_MAX_COUNT = 5
ONLY_MAX_SHARE = Fraction(1, 10)
FRACTION_DENOMINATORS = range(3, 11)  # one in every three … one in every ten
FRACTION_TOLERANCE = Fraction(1, 20)  # under 5 % from 1/N: 11 of 64 is 3.1 % above 1/6
FEW_MAX_COUNT = 3

# (lowest share, whether the lowest share itself is included, rule): the first match
# wins. Half is exact; "nearly half" is within FRACTION_TOLERANCE below it.
BANDS = (
    (Fraction(9, 10), True, "virtually_all"),
    (Fraction(2, 3), True, "most"),
    (Fraction(1, 2), False, "majority"),
    (Fraction(1, 2), True, "half"),
    (Fraction(1, 2) * (1 - FRACTION_TOLERANCE), True, "nearly_half"),
    (Fraction(3, 10), True, "many"),
    (Fraction(1, 5), True, "some"),
    (Fraction(1, 10), True, "several"),
    (Fraction(0), False, "a_few"),
)

# Every rule with an example (count, base) that the tests hold to, as docs/analysis.md
# shows them.
LEGEND = (
    ("no_base", "nobody has replied", (0, 0)),
    ("none", "count is 0", (0, 64)),
    ("the_only", "a base of 1 and count 1", (1, 1)),
    ("all", "count = base", (64, 64)),
    ("both", "count = base = 2", (2, 2)),
    ("exact", "base under 10", (2, 3)),
    ("only", "1 to 5 States and at most 10 % of the base", (3, 64)),
    ("fraction", "share less than 5 % away from 1/N, N = 3 … 10", (11, 64)),
    ("exact", "2 or 3 States, none of the above", (2, 11)),
    ("virtually_all", "90 % or more, not all", (61, 64)),
    ("most", "two thirds or more", (45, 64)),
    ("majority", "more than half", (33, 64)),
    ("half", "exactly half", (32, 64)),
    ("nearly_half", "47.5 % to half", (31, 64)),
    ("many", "30 % or more", (20, 64)),
    ("some", "20 % or more", (18, 64)),
    ("several", "10 % or more", (12, 64)),
    ("a_few", "under 10 %, more than 5 States", (6, 64)),
)

# Report language: (words, text) of each rule. {plural} and {singular} are the noun,
# {number} a number in words, {base} the base in words.
WORDS = {
    "en": {
        "rules": {
            "no_base": ("no", "no {plural} yet"),
            "none": ("none", "none of the {plural}"),
            "the_only": ("the only", "the only {singular}"),
            "all": ("all", "all {plural}"),
            "both": ("both", "both {plural}"),
            "exact": ("{number} of the {base}", "{number} of the {base} {plural}"),
            "exact_one": ("one of the {base}", "one of the {base} {plural}"),
            "only": ("only {number}", "only {number} {plural}"),
            "only_one": ("only one", "only one {singular}"),
            "fraction": ("one in every {number}", "one in every {number} {plural}"),
            "virtually_all": ("virtually all", "virtually all {plural}"),
            "most": ("most", "most {plural}"),
            "majority": ("a majority", "a majority of {plural}"),
            "half": ("half", "half of the {plural}"),
            "nearly_half": ("nearly half", "nearly half of the {plural}"),
            "many": ("many", "many {plural}"),
            "some": ("some", "some {plural}"),
            "several": ("several", "several {plural}"),
            "a_few": ("a few", "a few {plural}"),
        },
        "figures": "({count} of {base})",
        # UN editorial style: one to ten in words, figures above.
        "numbers": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                    "nine", "ten"),
        "months": ("January", "February", "March", "April", "May", "June", "July",
                   "August", "September", "October", "November", "December"),
        "date": "{day} {month} {year}",
        "singulars": {"respondents": "respondent", "States": "State",
                      "Member States": "Member State", "countries": "country",
                      "Governments": "Government"},
        "participation": "By {date}, {number} {noun} had replied to the questionnaire.",
        "participation_none": "By {date}, no State had replied to the questionnaire.",
        "members": ("Member State", "Member States"),
        "states": ("State", "States"),
        "view_clause": ("considers that {label}", "consider that {label}"),
        "view_other": ("holds the view “{label}”", "hold the view “{label}”"),
        "view_no_base": "By {date}, no reply had been received: “{label}” cannot be "
                        "counted yet.",
        # A label with one of these words reads as a clause: "that the Forum is useful".
        "finite_verbs": frozenset({
            "is", "are", "was", "were", "be", "should", "must", "need", "needs", "has",
            "have", "can", "could", "will", "would", "may", "might", "shall", "remain",
            "remains", "require", "requires", "deserve", "deserves", "want", "wants",
            "support", "supports", "do", "does"}),
    },
}
REPORT_LANGUAGE = "en"

# Rules whose phrase takes a singular verb ("only one respondent considers").
SINGULAR_RULES = {"the_only", "only_one", "exact_one"}


@dataclass(frozen=True)
class Phrase:
    """A count in report words, with the figures: ``text`` is what a draft prints."""

    words: str
    count: int
    base: int
    text: str
    rule: str
    singular: bool = False

    def __str__(self):
        return self.text

    @property
    def share(self) -> float | None:
        return self.count / self.base if self.base else None


@dataclass
class ViewSentence:
    """A draft sentence for one view: the analyst edits it; the figures stay."""

    key: str
    label: str
    phrase: Phrase
    text: str
    states: list[str] = field(default_factory=list)  # names, A to Z
    iso3: list[str] = field(default_factory=list)


def number_words(number: int, *, language: str = REPORT_LANGUAGE) -> str:
    """One to ten in words, figures above (UN editorial style)."""
    numbers = WORDS[language]["numbers"]
    return numbers[number] if 0 <= number < len(numbers) else str(number)


def un_date(day: dt.date, *, language: str = REPORT_LANGUAGE) -> str:
    """"15 July 2008": day, month in words, year, as UN documents write dates."""
    words = WORDS[language]
    return words["date"].format(day=day.day, month=words["months"][day.month - 1],
                                year=day.year)


def legend_rule(count: int, base: int) -> tuple[str, int | None]:
    """(rule, its number) of the legend that applies to ``count`` of ``base``."""
    if base < 0 or count < 0 or count > base:
        raise ValueError(f"Cannot phrase {count} of {base}.")
    if base == 0:
        return "no_base", None
    if count == 0:
        return "none", None
    if base == 1:
        return "the_only", None
    if count == base:
        return ("both", None) if base == 2 else ("all", None)
    share = Fraction(count, base)
    if base < SMALL_BASE:
        return ("exact_one" if count == 1 else "exact"), count
    if count <= ONLY_MAX_COUNT and share <= ONLY_MAX_SHARE:
        return ("only_one" if count == 1 else "only"), count
    for n in FRACTION_DENOMINATORS:
        if abs(share * n - 1) < FRACTION_TOLERANCE:
            return "fraction", n
    if count <= FEW_MAX_COUNT:
        return "exact", count
    for minimum, inclusive, rule in BANDS:
        if share > minimum or (inclusive and share == minimum):
            return rule, None
    raise AssertionError("the bands cover every share above 0")  # pragma: no cover


def _singular(noun: str, language: str) -> str:
    known = WORDS[language]["singulars"]
    if noun in known:
        return known[noun]
    return noun[:-1] if noun.endswith("s") else noun


def quantity_phrase(count: int, base: int, *, noun: str = "respondents",
                    singular: str | None = None, language: str = REPORT_LANGUAGE) -> Phrase:
    """``count`` of ``base`` in the words of the legend, followed by the exact figures."""
    count, base = int(count), int(base)
    rule, number = legend_rule(count, base)
    words = WORDS[language]
    words_template, text_template = words["rules"][rule]
    values = {"plural": noun, "singular": singular or _singular(noun, language),
              "number": number_words(number, language=language) if number is not None else "",
              "base": number_words(base, language=language)}
    figures = words["figures"].format(count=count, base=base)
    return Phrase(words=words_template.format(**values), count=count, base=base,
                  text=f"{text_template.format(**values)} {figures}", rule=rule,
                  singular=rule in SINGULAR_RULES)


def participation_sentence(*, questionnaire: Questionnaire, as_of: dt.date | None = None,
                           language: str = REPORT_LANGUAGE) -> str:
    """"By 15 July 2008, 64 Member States had replied to the questionnaire."

    "Member States" only when every respondent is one; otherwise "States" (the Holy
    See and Palestine are observer States).
    """
    figures = tallies.participation(questionnaire=questionnaire, as_of=as_of)
    return participation_text(figures, language)


def participation_text(figures: tallies.Participation,
                       language: str = REPORT_LANGUAGE) -> str:
    """The participation sentence from figures already counted."""
    words = WORDS[language]
    date = un_date(figures.as_of, language=language)
    if figures.respondents == 0:
        return words["participation_none"].format(date=date)
    singular, plural = words["members"] if figures.all_members else words["states"]
    return words["participation"].format(
        date=date, number=number_words(figures.respondents, language=language),
        noun=singular if figures.respondents == 1 else plural)


def _label_in_sentence(label: str) -> str:
    """"The Forum is useful" → "the Forum is useful"; acronyms keep their capitals."""
    first = label.split(" ", 1)[0]
    if len(first) > 1 and (first.isupper() or first[1:2].isupper()):
        return label
    return label[:1].lower() + label[1:]


def view_sentence_text(label: str, phrase: Phrase, *, as_of: dt.date,
                       language: str = REPORT_LANGUAGE) -> str:
    """A draft sentence: "Virtually all respondents (61 of 64) consider that the Forum
    is a useful outcome." A label that is not a clause is quoted."""
    words = WORDS[language]
    label = label.strip().rstrip(".")
    if phrase.base == 0:
        return words["view_no_base"].format(date=un_date(as_of, language=language),
                                            label=label)
    tokens = set(re.findall(r"[\w'’-]+", label.lower())[1:])
    if tokens & words["finite_verbs"]:
        singular, plural = words["view_clause"]
        label = _label_in_sentence(label)
    else:
        singular, plural = words["view_other"]
    predicate = (singular if phrase.singular else plural).format(label=label)
    text = f"{phrase.text} {predicate}."
    return text[:1].upper() + text[1:]


def view_sentences(*, questionnaire: Questionnaire, as_of: dt.date | None = None,
                   language: str = REPORT_LANGUAGE) -> list[ViewSentence]:
    """One draft sentence per code, in codebook order, with the States behind it.

    The base is the replying States; the count, the States holding the view in the
    reconciled coding (see :func:`analysis.tallies.code_tally`). A fixed number of
    queries.
    """
    day = tallies.tally_date(questionnaire=questionnaire, as_of=as_of)
    table = tallies.code_tally(questionnaire=questionnaire, as_of=day)
    holders = tallies.holders(questionnaire=questionnaire, as_of=day)
    sentences = []
    for row in table.itertuples(index=False):
        phrase = quantity_phrase(row.count, row.respondents, language=language)
        states = holders.get(row.key, [])
        sentences.append(ViewSentence(
            key=row.key, label=row.label, phrase=phrase,
            text=view_sentence_text(row.label, phrase, as_of=day, language=language),
            states=[name for _iso3, name in states], iso3=[iso3 for iso3, _name in states]))
    return sentences

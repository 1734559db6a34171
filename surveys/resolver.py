"""Resolve what people write for a country to a State of the registry.

Every import in Inquiry goes through :class:`StateResolver`: contacts, replies,
codings. It accepts ISO alpha-2/alpha-3 and M49 codes, UN short and formal names in
the six languages (with or without the articles and markers of UNTERM,
"Bahamas (the)", "Holy See (the) *"), the registry's other spellings and the
aliases in :mod:`surveys.country_aliases`, ignoring case, accents, punctuation and
spaces. Matching is exact after normalisation, never fuzzy: "Niger" is never
"Nigeria". Fuzzy matching is used only to suggest what the writer may have meant.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from functools import cache
from operator import attrgetter

from django.utils.translation import gettext as _

from surveys.country_aliases import NON_MEMBER_ALIASES, STATE_ALIASES
from surveys.languages import LANGUAGE_CODES, field_suffix
from surveys.models import State
from surveys.services.registry import REGISTRY_FIXTURE

_ARTICLES = ("the", "l", "le", "la", "les", "el", "los", "las")
_ARTICLE_IN_PARENS = re.compile(r"\((?:the|l'|le|la|les|el|los|las)\)\s*$")
_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه",
                              "ـ": ""})
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


class StateNotResolved(ValueError):
    """The text does not name exactly one State of the registry; the message says why."""

    def __init__(self, message: str, suggestions: list[str] | None = None):
        super().__init__(message)
        self.suggestions = suggestions or []


@cache
def _without_marks() -> dict[int, None]:
    """A translation table deleting the combining marks of the Basic Multilingual Plane."""
    return {code: None for code in range(0x10000) if unicodedata.combining(chr(code))}


def normalize(text: str) -> str:
    """Fold what does not tell States apart: case, accents, punctuation, articles, markers."""
    text = str(text)
    if text.isascii():
        # The same steps, less those that cannot change ASCII (Unicode forms, marks,
        # curly quotes, Arabic letters): a registry of 20,000 names is indexed in a blink.
        text = text.replace("*", "").strip().lower()
        text = _ARTICLE_IN_PARENS.sub("", text).strip()
    else:
        text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
        text = text.replace("*", "").strip().casefold()
        text = _ARTICLE_IN_PARENS.sub("", text).strip()
        text = unicodedata.normalize("NFKD", text)
        if text.isascii():
            pass
        elif max(text) <= "\uffff":
            text = text.translate(_without_marks())
        else:
            text = "".join(ch for ch in text if not unicodedata.combining(ch))
        text = text.translate(_ARABIC_FOLD)
    text = text.replace("&", " and ")
    words = _NON_WORD.sub(" ", text).split()
    while len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    return " ".join(words)


@cache
def _non_member_names() -> dict[str, str]:
    """Normalised names and codes of areas that are not Member or observer States."""
    data = json.loads(REGISTRY_FIXTURE.read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for area in data["non_members"]:
        label = area["name_en"]
        keys = [area["iso2"], area["iso3"], str(area["m49"])]
        keys += [area[f"name_{field_suffix(c)}"] for c in LANGUAGE_CODES]
        keys += area["other_names"]
        for key in keys:
            if key:
                names.setdefault(normalize(key), label)
    for alias in NON_MEMBER_ALIASES:
        names.setdefault(normalize(alias), alias)
    return names


_NAME_FIELDS = tuple(f"{kind}_{suffix}" for suffix in ("ar", "zh", "en", "fr", "ru", "es")
                     for kind in ("name", "formal_name"))


class StateResolver:
    """An in-memory index of the registry: build once per import, resolve many rows.

    Building it runs one query; resolving runs none, so an import of 10,000 rows
    costs the same number of queries as one of ten.

    Codes are indexed at once. Names are indexed when first needed, in two steps: a
    name written as the registry writes it (in any case) is found without being
    normalised, and only a text found neither way builds the normalised index. The
    registry keeps every normalised name to one State (a test says so), so both
    steps name the same State; a name two States share exactly is left to the
    normalised index, which refuses it as ambiguous. Names as written are indexed
    English first (what most sheets hold), the other languages and aliases only when
    a text is not an English name.
    """

    def __init__(self, states=None):
        states = list(states if states is not None else State.objects.all())
        self._states = states
        self.by_iso3 = {s.iso3: s for s in states}
        self._codes: dict[str, State] = {}
        for s in states:
            self._codes[s.iso2.casefold()] = s
            self._codes[s.iso3.casefold()] = s
            self._codes[str(s.m49)] = s
        self._exact_english: dict[str, State | None] | None = None
        self._exact_index: dict[str, State | None] | None = None
        self._names_index: dict[str, set[str]] | None = None

    def _texts(self):
        """(State, its names) for every State, then (State, [alias]) for the aliases."""
        names = attrgetter(*_NAME_FIELDS)
        for s in self._states:
            yield s, names(s)
            if s.other_names:
                yield s, s.other_names
        for alias, iso3 in STATE_ALIASES.items():
            if iso3 in self.by_iso3:
                yield self.by_iso3[iso3], [alias]

    @staticmethod
    def _as_written(texts) -> dict[str, State | None]:
        """Casefolded name as written → its State (None if two States write it alike)."""
        index: dict[str, State | None] = {}
        for state, names in texts:
            for text in names:
                if text and index.setdefault(key := text.strip().casefold(), state) is not state:
                    index[key] = None
        return index

    def _exact(self, code: str) -> State | None:
        """The State whose name as written (casefolded) is ``code``, or None."""
        if self._exact_english is None:
            english = attrgetter("name_en", "formal_name_en")
            self._exact_english = self._as_written((s, english(s)) for s in self._states)
        state = self._exact_english.get(code)
        if state is None:
            if self._exact_index is None:
                self._exact_index = self._as_written(self._texts())
            state = self._exact_index.get(code)
        return state

    @property
    def _names(self) -> dict[str, set[str]]:
        """Normalised name → ISO3 of the States it names."""
        if self._names_index is None:
            self._names_index = {}
            for state, texts in self._texts():
                for text in texts:
                    if text:
                        self._add(text, state.iso3)
        return self._names_index

    def _add(self, text: str, iso3: str) -> None:
        key = normalize(text)
        if key:
            self._names_index.setdefault(key, set()).add(iso3)

    def resolve(self, text) -> State:
        """Return the State that ``text`` names, or raise :class:`StateNotResolved`."""
        if isinstance(text, float) and text.is_integer():
            text = int(text)  # spreadsheet readers turn M49 codes into 4.0
        raw = "" if text is None else str(text).strip()
        if not raw or raw.casefold() == "nan":
            raise StateNotResolved(_("No country given."))
        code = raw.casefold()
        if code.endswith(".0") and code[:-2].isascii() and code[:-2].isdigit():
            code = code[:-2]
        if code.isascii() and code.isdigit():
            code = str(int(code))
        if code in self._codes:
            return self._codes[code]
        state = self._exact(code)
        if state is not None:
            return state
        key = normalize(raw)
        matches = self._names.get(key, set())
        if len(matches) == 1:
            return self.by_iso3[next(iter(matches))]
        if len(matches) > 1:
            names = sorted(self.by_iso3[m].name_en for m in matches)
            raise StateNotResolved(
                _("“%(text)s” could name several States: %(names)s.")
                % {"text": raw, "names": ", ".join(names)}, names)
        non_member = _non_member_names().get(key) or _non_member_names().get(code)
        if non_member:
            named = raw if normalize(non_member) == key else f"{raw} ({non_member})"
            raise StateNotResolved(
                _("“%(text)s” is not a UN Member State or observer State.") % {"text": named})
        suggestions = self.suggest(raw)
        if suggestions:
            message = _("Unknown country “%(text)s”. Did you mean: %(suggestions)s?") % {
                "text": raw, "suggestions": "; ".join(suggestions)}
        else:
            message = _("Unknown country “%(text)s”.") % {"text": raw}
        raise StateNotResolved(message, suggestions)

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """Up to ``limit`` English names of States whose spellings are close to ``text``.

        A text that is a whole word of some names ("Korea") suggests those names
        only; otherwise names spelled alike ("Nigerria") are suggested, closest
        first. (Spelled alike in any language: "Korea" is close to Spanish "Noruega",
        which no one means.)
        """
        key = normalize(text)
        words = set(key.split())
        candidates = [name for name in self._names if words and words <= set(name.split())]
        candidates.sort(key=len)
        if not candidates:
            candidates = difflib.get_close_matches(key, self._names, n=20, cutoff=0.6)
        found: list[str] = []
        for candidate in candidates:
            for iso3 in sorted(self._names[candidate]):
                name = self.by_iso3[iso3].name_en
                if name not in found:
                    found.append(name)
        return found[:limit]


def resolve_state(text) -> State:
    """Resolve one country name; for many rows build a :class:`StateResolver` once."""
    return StateResolver().resolve(text)

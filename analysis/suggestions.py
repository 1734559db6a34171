"""Finding a code's keywords in answers written in any of the six UN languages.

A keyword matches whatever the case and the accents ("opinion" finds "Opinión"),
as a whole word or phrase ("regional" does not find "interregional"), with spaces
and hyphens alike ("follow-up" finds "follow up"). Two languages need more:

* Chinese is written without spaces, so a keyword in Chinese characters matches
  anywhere in the text (a substring);
* Arabic attaches "and", "the", "by", "for" to the next word (والمنتدى, "and the
  Forum"), so an Arabic keyword also matches after these prefixes. Hamza forms of
  alif, alif maqsura, ta marbuta and tatweel are normalised, as Arabic search does.

The matching is pure (no database): :func:`analysis.services.coding.suggestions_refresh`
stores what it finds as suggestions, which count for nothing until a coder accepts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_ARABIC_LETTERS = str.maketrans({"ى": "ي", "ة": "ه", "ـ": None})
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_]+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})
# Proclitics written together with the next Arabic word: و ف ب ك ل, the article ال,
# and their combinations (وال، بال، لل، فال، كال، وبال...).
_ARABIC_PREFIX = r"(?:[وف]?[بكل]?(?:ال|ل)?)"
_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF]")
# Scripts written without spaces (kana, Han, Hangul): their characters end a Latin,
# Cyrillic or Arabic word as a space would ("WTO的作用" holds the word "WTO").
_CJK_RANGES = "\u3040-\u30FF\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\uAC00-\uD7AF"
_NOT_WORD_BEFORE = rf"(?<![^\W{_CJK_RANGES}])"
_NOT_WORD_AFTER = rf"(?![^\W{_CJK_RANGES}])"


def normalize(text: str) -> str:
    """Lower case, without accents or Arabic vowel marks, one space between words."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    stripped = stripped.casefold().translate(_ARABIC_LETTERS).translate(_APOSTROPHES)
    return _SEPARATORS.sub(" ", stripped).strip()


def _is_cjk(ch: str) -> bool:
    """Characters of scripts written without spaces between words (Han, kana, Hangul)."""
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK ", "HIRAGANA", "KATAKANA", "HANGUL")) or ch in "々〆"


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


@lru_cache(maxsize=4096)
def keyword_pattern(keyword: str) -> re.Pattern | None:
    """The regular expression that finds ``keyword`` in normalised text (None if empty)."""
    phrase = normalize(keyword)
    if not phrase:
        return None
    body = re.escape(phrase).replace(r"\ ", " ")
    first, last = phrase[0], phrase[-1]
    before = after = ""
    if _is_word(first) and not _is_cjk(first):
        before = _NOT_WORD_BEFORE
        if _ARABIC.match(first):
            before += _ARABIC_PREFIX
    if _is_word(last) and not _is_cjk(last):
        after = _NOT_WORD_AFTER
    return re.compile(before + body + after)


def matched_keywords(text: str, keywords: Iterable[str]) -> list[str]:
    """The keywords (as written in the codebook) found in ``text``."""
    haystack = normalize(text)
    if not haystack:
        return []
    found = []
    for keyword in keywords:
        pattern = keyword_pattern(keyword)
        if pattern is not None and pattern.search(haystack):
            found.append(keyword)
    return found

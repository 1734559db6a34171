"""The five translations are complete and the compiled catalogues say what the .po files say.

Staff and governments read Inquiry in the six UN languages: an untranslated or fuzzy
entry shows English in the middle of a French page, a placeholder lost in translation
breaks the message (or the page), and a .mo file not compiled again after the .po was
edited shows the old text. ``manage.py makemessages`` then a translator, then
``manage.py compilemessages``, keep all three right.
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = ["ar", "es", "fr", "ru", "zh_Hans"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def _entries(path: Path) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgid_plural, msgstr (list), flags."""
    entries, entry, key = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if entry is not None and "msgid" in entry:
                entries.append(entry)
            entry, key = None, None
            continue
        entry = entry if entry is not None else {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            text = ast.literal_eval(line)
            if isinstance(key, tuple):
                entry["msgstr"][key[1]] += text
            else:
                entry[key] += text
        else:
            name, _space, value = line.partition(" ")
            match = re.fullmatch(r"msgstr\[(\d+)\]", name)
            if match or name == "msgstr":
                key = ("msgstr", int(match.group(1)) if match else 0)
                entry["msgstr"][key[1]] = ast.literal_eval(value)
            else:
                key = name
                entry[key] = ast.literal_eval(value)
    return entries


def _placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


@pytest.fixture(params=LANGUAGES)
def catalogue(request):
    path = LOCALE / request.param / "LC_MESSAGES" / "django.po"
    return request.param, [e for e in _entries(path) if e["msgid"]]


def test_every_message_is_translated_and_none_is_fuzzy(catalogue):
    language, entries = catalogue
    assert len(entries) > 1000
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == [], f"{language}: untranslated {untranslated[:5]}"
    assert fuzzy == [], f"{language}: fuzzy {fuzzy[:5]}"


def test_translations_keep_the_placeholders(catalogue):
    language, entries = catalogue
    wrong = []
    for entry in entries:
        if "python-format" not in entry["flags"] and "python-brace-format" not in entry["flags"]:
            continue
        wanted = _placeholders(entry["msgid"]) | _placeholders(entry.get("msgid_plural", ""))
        for text in entry["msgstr"].values():
            found = _placeholders(text)
            # A plural form may leave the count out ("one reply"), never add a name.
            if not found <= wanted or ("msgid_plural" not in entry and found != wanted):
                wrong.append((entry["msgid"][:60], sorted(found), sorted(wanted)))
    assert wrong == [], f"{language}: {wrong[:5]}"


def test_the_compiled_catalogue_is_the_po_file(catalogue):
    language, entries = catalogue
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    stale = []
    for entry in entries:
        if "msgid_plural" in entry:
            continue
        key = entry["msgid"] if "msgctxt" not in entry else None
        if key is not None and translations.gettext(key) != entry["msgstr"][0]:
            stale.append(entry["msgid"][:60])
        if "msgctxt" in entry and translations.pgettext(entry["msgctxt"], entry["msgid"]) \
                != entry["msgstr"][0]:
            stale.append(f"{entry['msgctxt']}: {entry['msgid'][:60]}")
    assert stale == [], f"{language}: run manage.py compilemessages ({stale[:5]})"

"""What an XLSForm workbook holds, and Inquiry's reading of it: sheet and column names,
question types, languages in headers, and the features refused or left aside."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from surveys.models import YES_NO_CHOICES, Question

# Column headers are a file format, not user interface: language names stay English.
LANGUAGE_NAMES = {"ar": "Arabic", "zh-hans": "Chinese", "en": "English", "fr": "French",
                  "ru": "Russian", "es": "Spanish"}
XLSFORM_CODES = {"zh-hans": "zh"}  # XLSForm (and ISO 639-1) call Chinese "zh"
CODES_FROM_XLSFORM = {"ar": "ar", "zh": "zh-hans", "zh-hans": "zh-hans", "en": "en", "fr": "fr",
                      "ru": "ru", "es": "es"}

TYPE_TO_XLSFORM = {Question.Type.TEXT: "text", Question.Type.NUMBER: "decimal",
                   Question.Type.DATE: "date", Question.Type.FILE: "file"}
XLSFORM_TO_TYPE = {"text": Question.Type.TEXT, "string": Question.Type.TEXT,
                   "decimal": Question.Type.NUMBER, "integer": Question.Type.NUMBER,
                   "int": Question.Type.NUMBER, "date": Question.Type.DATE,
                   "file": Question.Type.FILE}
YES_NO_LIST = "yes_no"
YES_NO_VALUES = {value for value, _labels in YES_NO_CHOICES}

# Types that carry no question: data a phone records by itself. Ignoring them changes
# nothing a government is asked (Inquiry records who replied and when on its own).
METADATA_TYPES = {"start", "end", "today", "deviceid", "subscriberid", "simserial",
                  "phonenumber", "username", "email", "audit", "start-geopoint",
                  "background-geopoint"}


def refused_columns() -> dict[str, str]:
    """Survey columns that change what is asked or accepted: the file is refused."""
    return {
        "relevant": _("showing a question only in some cases (skip logic)"),
        "constraint": _("checking the answer against a condition"),
        "calculation": _("calculating a value"),
        "repeat_count": _("repeating questions"),
        "choice_filter": _("filtering choices by an earlier answer"),
        "read_only": _("read-only questions"),
        "trigger": _("updating a question when another is answered"),
        "bind": _("custom form settings (bind::)"),
    }


# Survey columns that only change how things look or what staff read: imported
# without them, and reported. Other unknown columns are reported as unknown.
COSMETIC_COLUMNS = {"appearance", "guidance_hint", "constraint_message", "required_message",
                    "media", "image", "audio", "video", "big-image", "default", "parameters",
                    "autoplay", "body", "instance"}
IGNORED_SETTINGS = {"version", "instance_name", "style", "public_key", "submission_url",
                    "allow_choice_duplicates", "namespaces", "auto_send", "auto_delete",
                    "clean_text_values", "omit_instanceID"}
TRUE_VALUES = {"yes", "true", "true()", "1", "y"}
FALSE_VALUES = {"", "no", "false", "false()", "0", "n"}
LANGUAGE_SPEC = re.compile(r"^(?P<name>.*?)\s*\(\s*(?P<code>[A-Za-z]{2,3}(?:[-_][A-Za-z]+)?)\s*\)$")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSFORM_SHEETS = ("survey", "choices", "settings")  # the others are only named in a warning


class XlsformError(ValueError):
    """The workbook was refused; ``messages`` lists every problem, naming sheet and row."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


@dataclass
class XlsformReport:
    """What an import did, and what it imported without (cosmetic features)."""

    code: str = ""
    sections: int = 0
    questions: int = 0
    choices: int = 0
    languages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        # Translators: "Questionnaire HLD-2008: 2 sections, 8 questions, 14 choices in en, fr."
        return _("Questionnaire %(code)s: %(sections)s, %(questions)s, %(choices)s in "
                 "%(languages)s.") % {
            "code": self.code, "languages": ", ".join(self.languages),
            "sections": ngettext("%(n)s section", "%(n)s sections", self.sections)
            % {"n": self.sections},
            "questions": ngettext("%(n)s question", "%(n)s questions", self.questions)
            % {"n": self.questions},
            "choices": ngettext("%(n)s choice", "%(n)s choices", self.choices)
            % {"n": self.choices}}


def language_header(kind: str, language: str) -> str:
    """``label::French (fr)``: XLSForm's header for a text in one language."""
    return f"{kind}::{language_label(language)}"


def language_label(language: str) -> str:
    """``French (fr)``: how XLSForm names a language in headers and ``default_language``."""
    return f"{LANGUAGE_NAMES[language]} ({XLSFORM_CODES.get(language, language)})"

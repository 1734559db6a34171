"""Texts kept in several UN languages: a JSON object ``{"en": "...", "fr": "..."}``.

Questionnaire titles, questions, help texts and choice labels are stored this way,
so a questionnaire offers any subset of the six languages without a column per
language. :func:`translated` picks the text for a language with a sensible fallback;
:class:`TranslatedTextField` edits such a value in the admin as one box per language.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import get_language

from surveys.languages import LANGUAGE_CODES, UN_LANGUAGES


def translated(value: dict | None, language: str | None = None, fallback: str = "en") -> str:
    """The text in ``language``, else in ``fallback``, else English, else any language."""
    if not value:
        return ""
    if isinstance(value, str):
        return value
    language = language or get_language() or fallback
    for code in (language, language.split("-")[0], fallback, "en"):
        if value.get(code):
            return value[code]
    return next((text for text in value.values() if text), "")


def missing_languages(value: dict | None, languages: list[str]) -> list[str]:
    """Languages of ``languages`` in which ``value`` has no text."""
    value = value or {}
    return [code for code in languages if not (value.get(code) or "").strip()]


class TranslatedTextWidget(forms.MultiWidget):
    template_name = "surveys/widgets/translated_text.html"

    def __init__(self, attrs=None, multiline=False):
        widget = forms.Textarea(attrs={"rows": 2, "cols": 60}) if multiline else \
            forms.TextInput(attrs={"size": 60})
        super().__init__([widget] * len(LANGUAGE_CODES), attrs)
        self.multiline = multiline

    def decompress(self, value):
        value = value or {}
        return [value.get(code, "") for code in LANGUAGE_CODES]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for subwidget, (code, label) in zip(context["widget"]["subwidgets"], UN_LANGUAGES,
                                            strict=True):
            subwidget["language_code"] = code
            subwidget["language_label"] = label
            subwidget["attrs"]["lang"] = code
            subwidget["attrs"]["dir"] = "rtl" if code == "ar" else "ltr"
        return context


class TranslatedTextField(forms.MultiValueField):
    """One text box per UN language; cleans to ``{"en": "...", ...}`` without empty ones."""

    def __init__(self, *, multiline=False, required=True, **kwargs):
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        kwargs.pop("max_length", None)
        fields = [forms.CharField(required=False) for _ in LANGUAGE_CODES]
        super().__init__(fields, widget=TranslatedTextWidget(multiline=multiline),
                         require_all_fields=False, required=required, **kwargs)

    def compress(self, data_list):
        data_list = data_list or [""] * len(LANGUAGE_CODES)
        return {code: text.strip() for code, text in zip(LANGUAGE_CODES, data_list, strict=True)
                if text and text.strip()}

"""The six official languages of the United Nations, as Inquiry names them.

Django calls Chinese ``zh-hans``; the registry's name columns use the short
suffix (``name_zh``). Everything that maps between the two lives here.
"""

from django.utils.translation import gettext_lazy as _

UN_LANGUAGES = [
    ("ar", _("Arabic")),
    ("zh-hans", _("Chinese")),
    ("en", _("English")),
    ("fr", _("French")),
    ("ru", _("Russian")),
    ("es", _("Spanish")),
]
LANGUAGE_CODES = [code for code, _label in UN_LANGUAGES]
RTL_LANGUAGES = {"ar"}

# What people type in a "language" column, mapped to the code: English, native and
# a few other common names, plus ISO codes.
_LANGUAGE_ALIASES = {
    "ar": ["ar", "ara", "arabic", "arabe", "árabe", "арабский", "阿拉伯文", "阿拉伯语", "العربية"],
    "zh-hans": ["zh", "zh-hans", "zh-cn", "chi", "zho", "chinese", "chinois", "chino", "китайский",
                "中文", "汉语", "الصينية"],
    "en": ["en", "eng", "english", "anglais", "inglés", "ingles", "английский", "英文", "英语",
           "الإنكليزية", "الإنجليزية"],
    "fr": ["fr", "fra", "fre", "french", "français", "francais", "francés", "frances",
           "французский", "法文", "法语", "الفرنسية"],
    "ru": ["ru", "rus", "russian", "russe", "ruso", "русский", "俄文", "俄语", "الروسية"],
    "es": ["es", "spa", "spanish", "espagnol", "español", "espanol", "испанский", "西班牙文",
           "西班牙语", "الإسبانية"],
}
_ALIAS_TO_CODE = {alias: code for code, aliases in _LANGUAGE_ALIASES.items() for alias in aliases}


def field_suffix(language_code: str) -> str:
    """'zh-hans' -> 'zh': the suffix of the registry's per-language name columns."""
    return language_code.split("-")[0].lower()


def language_from_text(text: str) -> str | None:
    """Return the language code for what someone typed ('Français', 'FR', 'Arabic'), or None."""
    return _ALIAS_TO_CODE.get((text or "").strip().casefold())

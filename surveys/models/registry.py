"""The registry of States that receive questionnaires."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from surveys.languages import field_suffix


class StateQuerySet(models.QuerySet):
    def members(self):
        return self.filter(status=State.Status.MEMBER)

    def observers(self):
        return self.filter(status=State.Status.OBSERVER)


class State(models.Model):
    """A UN Member State or non-member observer State (193 + 2).

    Codes, names and groups come from ``fixtures/registry.json`` (built from the
    reference data by ``scripts/build_registry.py``) through ``load_registry``.
    """

    class Status(models.TextChoices):
        MEMBER = "member", _("Member State")
        OBSERVER = "observer", _("Non-member observer State")

    iso2 = models.CharField(_("ISO alpha-2"), max_length=2, unique=True)
    iso3 = models.CharField(_("ISO alpha-3"), max_length=3, unique=True)
    m49 = models.PositiveSmallIntegerField(_("M49 code"), unique=True)

    name_ar = models.CharField(_("name (Arabic)"), max_length=120)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    name_ru = models.CharField(_("name (Russian)"), max_length=120)
    name_es = models.CharField(_("name (Spanish)"), max_length=120)
    formal_name_ar = models.CharField(_("formal name (Arabic)"), max_length=200)
    formal_name_zh = models.CharField(_("formal name (Chinese)"), max_length=200)
    formal_name_en = models.CharField(_("formal name (English)"), max_length=200)
    formal_name_fr = models.CharField(_("formal name (French)"), max_length=200)
    formal_name_ru = models.CharField(_("formal name (Russian)"), max_length=200)
    formal_name_es = models.CharField(_("formal name (Spanish)"), max_length=200)
    other_names = models.JSONField(
        _("other names"), default=list, blank=True,
        help_text=_("Spellings from the reference data that also name this State."),
    )

    region = models.CharField(_("region"), max_length=40, db_index=True)
    subregion = models.CharField(_("sub-region"), max_length=60, db_index=True)
    intermediate_region = models.CharField(_("intermediate region"), max_length=60, blank=True)
    is_ldc = models.BooleanField(_("LDC"), default=False,
                                 help_text=_("Least developed country"))
    is_lldc = models.BooleanField(_("LLDC"), default=False,
                                  help_text=_("Landlocked developing country"))
    is_sids = models.BooleanField(_("SIDS"), default=False,
                                  help_text=_("Small island developing State"))
    is_developed = models.BooleanField(
        _("developed"), default=False,
        help_text=_("M49 convention: Europe, Northern America, Australia and New Zealand, Japan."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.MEMBER)
    admitted_year = models.PositiveSmallIntegerField(_("admitted to the UN"), null=True,
                                                     blank=True)

    objects = StateQuerySet.as_manager()

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("State")
        verbose_name_plural = _("States")

    def __str__(self):
        return self.name_en

    def name(self, language: str | None = None) -> str:
        """Short name in a UN language (the active one by default), English as fallback."""
        suffix = field_suffix(language or get_language() or "en")
        return getattr(self, f"name_{suffix}", None) or self.name_en

    def formal_name(self, language: str | None = None) -> str:
        suffix = field_suffix(language or get_language() or "en")
        return getattr(self, f"formal_name_{suffix}", None) or self.formal_name_en

    @property
    def groups(self) -> list[str]:
        """The country groups this State belongs to, as the report names them."""
        flags = [("LDC", self.is_ldc), ("LLDC", self.is_lldc), ("SIDS", self.is_sids)]
        return [label for label, on in flags if on]

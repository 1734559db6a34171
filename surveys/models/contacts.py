"""People and offices a questionnaire is addressed to, per State."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.languages import UN_LANGUAGES

from .registry import State


class ContactQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Contact(models.Model):
    """An addressee in a State: its Permanent Mission (the office) or a named person.

    The mission is a contact like the others (role "Permanent Mission") so that one
    sheet and one import carry every address, e-mail, fax and phone number.
    """

    class Role(models.TextChoices):
        MISSION = "mission", _("Permanent Mission")
        PERMANENT_REPRESENTATIVE = "pr", _("Permanent Representative")
        DEPUTY_PERMANENT_REPRESENTATIVE = "dpr", _("Deputy Permanent Representative")
        FOCAL_POINT = "focal_point", _("National focal point")
        MINISTRY_OFFICIAL = "ministry", _("Ministry official")
        OTHER = "other", _("Other")

    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="contacts",
                              verbose_name=_("State"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    process = models.CharField(
        _("process"), max_length=200, blank=True,
        help_text=_("For a focal point: the process, e.g. Global Forum on Migration and "
                    "Development."),
    )
    name = models.CharField(_("name"), max_length=200,
                            help_text=_("The person's name, or the office's for a mission."))
    honorific = models.CharField(_("honorific"), max_length=60, blank=True,
                                 help_text=_("e.g. H.E. Mr., Ms., Dr."))
    position = models.CharField(_("position"), max_length=200, blank=True)
    organization = models.CharField(_("organization"), max_length=200, blank=True,
                                    help_text=_("Ministry or office, if not the mission."))
    address = models.TextField(_("postal address"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    fax = models.CharField(_("fax"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(_("preferred language"), max_length=7, choices=UN_LANGUAGES,
                                default="en")
    is_active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["state__name_en", "role", "name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(fields=["state", "role", "name"],
                                    name="contact_unique_per_state_role_name"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_role_display()}, {self.state})"

    @property
    def addressee(self) -> str:
        """How a letter opens its address block: 'H.E. Mr. Jan Kowalski'."""
        return " ".join(part for part in (self.honorific, self.name) if part)

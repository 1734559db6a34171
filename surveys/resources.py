"""Spreadsheet import and export of contacts (django-import-export resources).

Used by the admin's Import/Export buttons and by ``manage.py import_contacts``
alike. Countries go through the registry's resolver; every row is validated
before anything is written, and a file with one bad row writes nothing.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from import_export import fields, resources, widgets

from surveys.cells import formula_safe, unescape
from surveys.languages import UN_LANGUAGES, language_from_text
from surveys.models import Contact, State
from surveys.resolver import StateNotResolved, StateResolver
from surveys.spreadsheets import canonical_headers

CONTACT_COLUMNS = ["country", "role", "process", "honorific", "name", "position",
                   "organization", "address", "email", "fax", "phone", "language", "active",
                   "notes"]
REQUIRED_COLUMNS = ["country", "role", "name"]
CONTACT_HEADER_SYNONYMS = {
    "state": "country", "member state": "country", "country or area": "country",
    "iso3": "country", "e mail": "email", "email address": "email", "mail": "email",
    "title": "honorific", "preferred language": "language", "un language": "language",
    "telephone": "phone", "tel": "phone", "fax number": "fax", "is active": "active",
    "postal address": "address", "ministry": "organization", "organisation": "organization",
}
_ROLE_TEXT = {
    "mission": Contact.Role.MISSION, "permanent mission": Contact.Role.MISSION,
    "pr": Contact.Role.PERMANENT_REPRESENTATIVE,
    "permanent representative": Contact.Role.PERMANENT_REPRESENTATIVE,
    "dpr": Contact.Role.DEPUTY_PERMANENT_REPRESENTATIVE,
    "deputy permanent representative": Contact.Role.DEPUTY_PERMANENT_REPRESENTATIVE,
    "deputy": Contact.Role.DEPUTY_PERMANENT_REPRESENTATIVE,
    "focal point": Contact.Role.FOCAL_POINT, "focal_point": Contact.Role.FOCAL_POINT,
    "national focal point": Contact.Role.FOCAL_POINT,
    "ministry": Contact.Role.MINISTRY_OFFICIAL, "ministry official": Contact.Role.MINISTRY_OFFICIAL,
    "other": Contact.Role.OTHER,
}
_TRUE = {"yes", "y", "true", "1", "x", "oui", "sí", "si", "active", ""}
_FALSE = {"no", "n", "false", "0", "non", "inactive"}


class StateWidget(widgets.Widget):
    """A country cell: anything the registry's resolver accepts; exported as the English name."""

    def __init__(self):
        super().__init__()
        self.resolver: StateResolver | None = None

    def clean(self, value, row=None, **kwargs):
        if self.resolver is None:
            self.resolver = StateResolver()
        try:
            return self.resolver.resolve(value)
        except StateNotResolved as exc:
            raise ValueError(str(exc)) from exc

    def render(self, value, obj=None, **kwargs):
        return value.name_en if value else ""


class ChoiceTextWidget(widgets.Widget):
    """A cell holding a choice: its code, its label, or a known synonym."""

    def __init__(self, lookup, choices, what):
        super().__init__()
        self.lookup, self.choices, self.what = lookup, dict(choices), what

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        code = self.lookup(text)
        if code is None:
            allowed = ", ".join(str(label) for label in self.choices.values())
            raise ValueError(_("Unknown %(what)s “%(text)s”; use one of: %(allowed)s.")
                             % {"what": self.what, "text": text, "allowed": allowed})
        return code

    def render(self, value, obj=None, **kwargs):
        return str(self.choices.get(value, value or ""))


def _role_from_text(text: str):
    text = " ".join(text.replace("_", " ").split()).casefold()
    for code, label in Contact.Role.choices:
        if text in (code, str(label).casefold()):
            return code
    return _ROLE_TEXT.get(text)


class YesNoWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = str(value if value is not None else "").strip().casefold()
        if text in _TRUE or value is True:
            return True
        if text in _FALSE or value is False:
            return False
        raise ValueError(_("Write yes or no, not “%(text)s”.") % {"text": value})

    def render(self, value, obj=None, **kwargs):
        return "yes" if value else "no"


class TextWidget(widgets.CharWidget):
    """Text cells: numbers typed into a phone column stay digits ('41223', not '41223.0')."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return "" if value is None else unescape(str(value).strip())


class ContactResource(resources.ModelResource):
    country = fields.Field(attribute="state", column_name="country", widget=StateWidget())
    role = fields.Field(attribute="role", column_name="role",
                        widget=ChoiceTextWidget(_role_from_text, Contact.Role.choices, "role"))
    language = fields.Field(
        attribute="language", column_name="language", default="en",
        widget=ChoiceTextWidget(lambda t: language_from_text(t) or ("en" if not t else None),
                                UN_LANGUAGES, "language"))
    active = fields.Field(attribute="is_active", column_name="active", widget=YesNoWidget())

    class Meta:
        model = Contact
        fields = CONTACT_COLUMNS
        export_order = CONTACT_COLUMNS
        import_id_fields = ("country", "role", "name")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        # Rows are validated one by one, then written in batches: a query per row
        # would make a 1,000-row sheet take thousands of queries.
        use_bulk = True
        batch_size = 500
        widgets = {name: {} for name in ("process", "honorific", "name", "position",
                                         "organization", "address", "email", "fax", "phone",
                                         "notes")}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        for name in ("process", "honorific", "name", "position", "organization", "address",
                     "email", "fax", "phone", "notes"):
            self.fields[name].widget = TextWidget()
        self._existing: dict[tuple, Contact] = {}
        self._seen: dict[tuple, int] = {}

    def export_field(self, field, instance, **kwargs):
        return formula_safe(super().export_field(field, instance, **kwargs))

    def get_queryset(self):
        return Contact.objects.select_related("state").order_by("state__name_en", "role", "name")

    def before_import(self, dataset, **kwargs):
        canonical_headers(dataset, CONTACT_HEADER_SYNONYMS)
        missing = [c for c in REQUIRED_COLUMNS if c not in dataset.headers]
        if missing:
            raise ValueError(ngettext("Missing column: %(missing)s. Expected columns: "
                                      "%(expected)s.",
                                      "Missing columns: %(missing)s. Expected columns: "
                                      "%(expected)s.", len(missing))
                             % {"missing": ", ".join(missing),
                                "expected": ", ".join(CONTACT_COLUMNS)})
        unknown = [h for h in dataset.headers if h not in CONTACT_COLUMNS]
        if unknown:
            raise ValueError(ngettext("Unknown column: %(unknown)s. Expected columns: "
                                      "%(expected)s.",
                                      "Unknown columns: %(unknown)s. Expected columns: "
                                      "%(expected)s.", len(unknown))
                             % {"unknown": ", ".join(unknown),
                                "expected": ", ".join(CONTACT_COLUMNS)})
        self.fields["country"].widget.resolver = StateResolver(State.objects.all())
        # Existing contacts in memory: one query, not one per row.
        self._existing = {(c.state_id, c.role, c.name): c
                          for c in Contact.objects.select_related("state")}
        self._seen = {}

    def get_instance(self, instance_loader, row):
        try:
            state = self.fields["country"].clean(row)
            role = self.fields["role"].clean(row)
            name = self.fields["name"].clean(row)
        except ValueError:
            return None  # a new instance; import_instance reports the bad cells
        return self._existing.get((state.pk, role, name))

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        key = (instance.state_id, instance.role, instance.name)
        first = self._seen.setdefault(key, kwargs.get("row_number"))
        if instance.state_id and first != kwargs.get("row_number"):
            raise ValidationError(
                {"name": _("Same country, role and name as row %(row)s.") % {"row": first}})

    def get_bulk_update_fields(self):
        # import-export lists the resource's field names ("active"); bulk_update needs
        # the model's ("is_active"). Every column may change, except the matching key.
        return [f.attribute for name, f in self.fields.items()
                if f.attribute and name not in ("country", "role", "name")]

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """Validate fields, without a uniqueness query per row (the map above covers it)."""
        errors = dict(import_validation_errors or {})
        try:
            # "state" was resolved from the registry in memory: no per-row FK query.
            instance.full_clean(exclude=[*errors, "state"], validate_unique=False,
                                validate_constraints=False)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

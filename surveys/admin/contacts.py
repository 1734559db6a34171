"""Admin for contacts, with spreadsheet import and export."""

from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from surveys.formats import ReadableErrorsMixin
from surveys.models import Contact
from surveys.resources import ContactResource


@admin.register(Contact)
class ContactAdmin(ReadableErrorsMixin, ImportExportModelAdmin):
    resource_classes = [ContactResource]
    list_display = ["name", "state", "role", "process", "email", "fax", "phone", "language",
                    "is_active"]
    list_filter = ["role", "language", "is_active", "state__region"]
    search_fields = ["name", "email", "process", "organization", "state__name_en",
                     "state__iso3"]
    list_select_related = ["state"]
    autocomplete_fields = ["state"]
    list_per_page = 100

    # An import adds and updates contacts; an export is the whole address book (names,
    # e-mails, phones): both are for those who keep the contacts, not for all who may
    # look at them (docs/security.md).
    def has_import_permission(self, request):
        return super().has_import_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return super().has_export_permission(request) and self.has_change_permission(request)

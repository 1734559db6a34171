"""Admin for the registry of States, with their contacts inline."""

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from surveys.models import Contact, State


class GroupFilter(admin.SimpleListFilter):
    """The country groups the reports break figures down by."""

    title = _("group")
    parameter_name = "group"
    GROUPS = {
        "ldc": (_("Least developed countries (LDC)"), Q(is_ldc=True)),
        "lldc": (_("Landlocked developing countries (LLDC)"), Q(is_lldc=True)),
        "sids": (_("Small island developing States (SIDS)"), Q(is_sids=True)),
        "developed": (_("Developed"), Q(is_developed=True)),
        "developing": (_("Developing"), Q(is_developed=False)),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _q) in self.GROUPS.items()]

    def queryset(self, request, queryset):
        if self.value() in self.GROUPS:
            return queryset.filter(self.GROUPS[self.value()][1])
        return queryset


class ContactInline(admin.StackedInline):
    model = Contact
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("state")
    fields = [("role", "process"), ("honorific", "name"), ("position", "organization"),
              "address", ("email", "fax", "phone"), ("language", "is_active"), "notes"]


@admin.register(State)
class StateAdmin(admin.ModelAdmin):
    list_display = ["name_en", "iso3", "m49", "region", "subregion", "group_list", "status",
                    "admitted_year", "contact_count"]
    list_filter = ["region", "subregion", GroupFilter, "status"]
    search_fields = ["name_en", "name_fr", "name_es", "name_ru", "name_zh", "name_ar",
                     "formal_name_en", "formal_name_fr", "formal_name_es", "formal_name_ru",
                     "formal_name_zh", "formal_name_ar", "=iso2", "=iso3", "=m49"]
    list_per_page = 200
    # Explicit: the contact count's GROUP BY drops the model's own ordering, and the
    # State picker (autocomplete) would page through an unordered list.
    ordering = ["name_en"]
    inlines = [ContactInline]
    readonly_fields = ["other_names"]
    fieldsets = [
        (None, {"fields": [("iso2", "iso3", "m49"), ("status", "admitted_year")]}),
        (_("Names"), {"fields": [("name_en", "formal_name_en"), ("name_fr", "formal_name_fr"),
                                 ("name_es", "formal_name_es"), ("name_ru", "formal_name_ru"),
                                 ("name_zh", "formal_name_zh"), ("name_ar", "formal_name_ar"),
                                 "other_names"]}),
        (_("Regions and groups"), {"fields": [("region", "subregion", "intermediate_region"),
                                              ("is_ldc", "is_lldc", "is_sids", "is_developed")]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_contacts=Count("contacts"))

    @admin.display(description=_("groups"))
    def group_list(self, obj):
        return ", ".join(obj.groups) or "—"

    @admin.display(description=_("contacts"), ordering="_contacts")
    def contact_count(self, obj):
        return obj._contacts

    # States come from the registry fixture (manage.py load_registry), not from typing.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

"""Admin for the follow-up log: every call, meeting and message received about a reply."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from surveys.models import FollowUp
from surveys.services.followup import followup_check, followup_save


class FollowUpForm(forms.ModelForm):
    class Meta:
        model = FollowUp
        fields = ["recipient", "happened_at", "channel", "contact", "spoke_with", "outcome",
                  "promised_by", "note", "staff"]

    def clean(self):
        cleaned = super().clean()
        try:
            followup_check(recipient=cleaned.get("recipient"), contact=cleaned.get("contact"),
                           outcome=cleaned.get("outcome"),
                           promised_by=cleaned.get("promised_by"))
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    """The log itself. Open it from the call list to come back there after saving.

    The add form takes its initial values from the address (``?recipient=12&channel=phone``,
    Django's default) and returns to ``?next=`` after a plain Save.
    """

    form = FollowUpForm
    list_display = ["happened_at", "state", "questionnaire", "channel", "outcome", "promised_by",
                    "staff", "note_excerpt"]
    list_filter = ["recipient__questionnaire", "channel", "outcome"]
    date_hierarchy = "happened_at"
    search_fields = ["recipient__state__name_en", "recipient__state__name_fr",
                     "recipient__state__name_es", "recipient__state__name_ru",
                     "recipient__state__name_zh", "recipient__state__name_ar",
                     "=recipient__state__iso3", "spoke_with"]
    list_select_related = ["recipient__state", "recipient__questionnaire", "staff"]
    # A raw id rather than an autocomplete: it needs nothing from the recipient admin.
    raw_id_fields = ["recipient"]
    autocomplete_fields = ["contact"]
    fields = ["recipient", ("happened_at", "channel"), ("contact", "spoke_with"),
              ("outcome", "promised_by"), "note", "staff"]
    list_per_page = 100

    @admin.display(description=_("State"), ordering="recipient__state__name_en")
    def state(self, obj):
        return obj.recipient.state

    @admin.display(description=_("questionnaire"), ordering="recipient__questionnaire__code")
    def questionnaire(self, obj):
        return obj.recipient.questionnaire.code

    @admin.display(description=_("note"))
    def note_excerpt(self, obj):
        return Truncator(obj.note).chars(60)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("happened_at", timezone.now())
        initial.setdefault("staff", request.user.pk)
        return initial

    def save_model(self, request, obj, form, change):
        if not change and obj.staff_id is None:
            obj.staff = request.user
        followup_save(follow_up=obj)

    def _next_url(self, request):
        url = request.GET.get("next")
        if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
            return url
        return None

    def response_post_save_add(self, request, obj):
        next_url = self._next_url(request)
        if next_url:
            return HttpResponseRedirect(next_url)
        return super().response_post_save_add(request, obj)

    def response_post_save_change(self, request, obj):
        next_url = self._next_url(request)
        if next_url:
            return HttpResponseRedirect(next_url)
        return super().response_post_save_change(request, obj)

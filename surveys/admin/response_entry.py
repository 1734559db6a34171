"""The forms of staff entry of a reply that came by e-mail, fax or letter.

Staff choose the State (among the questionnaire's recipients without a reply, or
with one to amend), then give what the portal cannot know: the channel, the date
the reply arrived, its language, the official letter and a note. The answers are
the portal's own reply form (:func:`surveys.reply_form.build_reply_form`).
"""

from __future__ import annotations

from django import forms
from django.core.validators import FileExtensionValidator
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys.languages import UN_LANGUAGES
from surveys.models import (
    Questionnaire,
    Recipient,
    Response,
)
from surveys.reply_form import (
    ALLOWED_EXTENSIONS,
    validate_upload_size,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
STAFF_CHANNELS = [Response.Channel.EMAIL, Response.Channel.FAX, Response.Channel.LETTER]
# A fax or a letter is always a document; an e-mail's reply may be in its body.
DOCUMENT_CHANNELS = {Response.Channel.FAX, Response.Channel.LETTER}


class ChooseRecipientForm(forms.Form):
    """Step 1 of staff entry: which questionnaire, which State (one of its recipients)."""

    questionnaire = forms.ModelChoiceField(label=gettext_lazy("Questionnaire"),
                                           queryset=Questionnaire.objects.all())
    recipient = forms.ModelChoiceField(label=gettext_lazy("State"), required=False,
                                       queryset=Recipient.objects.none())

    def __init__(self, *args, questionnaire: Questionnaire | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if questionnaire is not None:
            field = self.fields["recipient"]
            field.required = True
            field.queryset = (questionnaire.recipients.select_related("state")
                              .annotate(reply_status=F("response__status"),
                                        reply_version=F("response__version"))
                              .order_by("state__name_en"))
            field.label_from_instance = self._label
            field.choices = list(field.choices)  # one query, read once

    @staticmethod
    def _label(recipient) -> str:
        name = recipient.state.name_en
        if recipient.reply_status == Response.Status.SUBMITTED:
            return _("%(state)s — replied (version %(n)s)") % {"state": name,
                                                               "n": recipient.reply_version}
        if recipient.declined_on:
            return _("%(state)s — declined") % {"state": name}
        return name


class ReplyReceivedForm(forms.Form):
    """How the reply arrived; the answers themselves are the portal's form beside it."""

    channel = forms.ChoiceField(label=gettext_lazy("Received by"), widget=forms.RadioSelect,
                                choices=[(c.value, c.label) for c in STAFF_CHANNELS])
    received_on = forms.DateField(
        label=gettext_lazy("Date received"), widget=DATE_INPUT,
        help_text=gettext_lazy("The date on the fax or the date stamp of the letter, not today's "
                               "date: it decides whether the reply was on time."))
    date_confirmed = forms.BooleanField(label=gettext_lazy("This date is right"),
                                        required=False)
    language = forms.ChoiceField(label=gettext_lazy("Language of the original"))
    original = forms.FileField(
        label=gettext_lazy("The original (scan or file)"), required=False,
        validators=[FileExtensionValidator(ALLOWED_EXTENSIONS), validate_upload_size],
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(f".{ext}" for ext in ALLOWED_EXTENSIONS)}),
        help_text=gettext_lazy("PDF, Word, OpenDocument or an image. Required for a fax or a "
                               "letter."))
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=gettext_lazy("E.g. the reference of the note verbale, or why this version "
                               "was entered."))
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, questionnaire: Questionnaire, **kwargs):
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        self.asks_date_confirmation = False
        names = dict(UN_LANGUAGES)
        self.fields["language"].choices = [(code, names.get(code, code))
                                           for code in questionnaire.languages or []]

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        if received_on > timezone.localdate():
            raise forms.ValidationError(_("The date received cannot be in the future."))
        return received_on

    def clean(self):
        cleaned = super().clean()
        received_on, sent_on = cleaned.get("received_on"), self.questionnaire.sent_on
        if received_on and sent_on and received_on < sent_on and not cleaned.get("date_confirmed"):
            # Most likely a typing slip (2007 for 2008): ask once, then accept.
            self.asks_date_confirmation = True
            self.add_error("received_on", _(
                "This is before the questionnaire was sent (%(sent)s). Check the date; if it "
                "is right, tick “This date is right” and save again.")
                % {"sent": sent_on.isoformat()})
        if cleaned.get("channel") in DOCUMENT_CHANNELS and not cleaned.get("original") and \
                "original" not in self.errors:
            self.add_error("original", _("Attach the scan of the fax or of the letter."))
        return cleaned

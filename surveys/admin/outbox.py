"""The outbox's own admin (django-post-office), with the permissions Inquiry's roles expect.

post_office offers "Requeue selected emails" to anyone who may look at the outbox;
here it needs the permission to change e-mails, as "Queue failed e-mails again" on
the messages does (surveys/roles.py, docs/security.md). post_office's "Resend" is a
link (GET) that sends the e-mail within the request: here it is a button (POST) that
queues the e-mail again for the outbox worker, as every other message is sent; an
e-mail whose reply link was removed after delivery is not sent again (a reminder
carries the link).
E-mails are listed newest first. Everything else is post_office's.
"""

from django.contrib import admin, messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from post_office.admin import EmailAdmin, requeue
from post_office.models import STATUS, Email

from surveys.throttle import REDACTED_LINK


@admin.action(description=requeue.short_description, permissions=["change"])
def requeue_emails(modeladmin, request, queryset):
    return requeue(modeladmin, request, queryset)


requeue_emails.__name__ = "requeue"  # the action's name, as post_office has it


class OutboxEmailAdmin(EmailAdmin):
    actions = [requeue_emails]
    # post_office's e-mails have no order of their own: the newest first, so that the
    # list and the attachments' e-mail picker page through them without gaps.
    ordering = ["-created", "-id"]
    change_form_template = "admin/surveys/outbox/email_change_form.html"

    def resend(self, request, pk):
        """Queue the e-mail again (POST only): the worker sends it, not this request."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        email = self._get_object_or_deny(request, pk, "change")
        if REDACTED_LINK in (email.message or "") or REDACTED_LINK in (email.html_message or ""):
            self.message_user(request, _(
                "This e-mail held a personal reply link, removed from the stored copy once "
                "it was delivered (a copy of the database must not hold working links): "
                "sent again, it would carry no working link. To send the State its link "
                "again, send it a reminder (Recipients › Remind now (e-mail))."),
                messages.WARNING)
            return redirect("admin:post_office_email_change", email.pk)
        Email.objects.filter(pk=email.pk).update(status=STATUS.queued, scheduled_time=None,
                                                 number_of_retries=0)
        self.message_user(request, _("The e-mail to %(to)s is queued again: the outbox sends "
                                     "it within a few minutes.")
                          % {"to": ", ".join(email.to)})
        return redirect("admin:post_office_email_change", email.pk)


if admin.site.is_registered(Email):
    admin.site.unregister(Email)
admin.site.register(Email, OutboxEmailAdmin)

"""The outbox's own admin (django-post-office), with the permissions Inquiry's roles expect.

post_office offers "Requeue selected emails" to anyone who may look at the outbox;
here it needs the permission to change e-mails, as "Queue failed e-mails again" on
the messages does (surveys/roles.py, docs/security.md). E-mails are listed newest
first. Everything else is post_office's.
"""

from django.contrib import admin
from post_office.admin import EmailAdmin, requeue
from post_office.models import Email


@admin.action(description=requeue.short_description, permissions=["change"])
def requeue_emails(modeladmin, request, queryset):
    return requeue(modeladmin, request, queryset)


requeue_emails.__name__ = "requeue"  # the action's name, as post_office has it


class OutboxEmailAdmin(EmailAdmin):
    actions = [requeue_emails]
    # post_office's e-mails have no order of their own: the newest first, so that the
    # list and the attachments' e-mail picker page through them without gaps.
    ordering = ["-created", "-id"]


if admin.site.is_registered(Email):
    admin.site.unregister(Email)
admin.site.register(Email, OutboxEmailAdmin)

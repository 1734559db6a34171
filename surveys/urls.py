"""Public URLs: the reply portal (every other screen is in the admin)."""

from django.urls import path

from surveys.views import portal

app_name = "portal"

urlpatterns = [
    path("r/<str:token>/", portal.entry, name="entry"),
    path("reply/", portal.reply, name="reply"),
    path("reply/received/", portal.received, name="received"),
    path("reply/decline/", portal.decline, name="decline"),
    path("reply/declined/", portal.declined, name="declined"),
]

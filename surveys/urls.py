"""Public URLs: the reply portal."""

from django.urls import path

from surveys.views import portal

app_name = "portal"

urlpatterns = [
    path("r/<str:token>/", portal.entry, name="entry"),
    path("reply/", portal.reply, name="reply"),
]

"""The filters of the replies list: "as of" a date (what had arrived by then) and
the timing of a reply (by the deadline, by the cut-off, after it)."""

from __future__ import annotations

import datetime

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import F, Q
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys.models import Questionnaire, Timing

QUESTIONNAIRE_PARAM = "recipient__questionnaire__id__exact"


def date_param(value) -> datetime.date | None:
    try:
        return parse_date(value or "")
    except ValueError:
        return None


class AsOfFilter(admin.SimpleListFilter):
    """Replies received by the end of a day: the list as it stood then.

    The date is typed in the box above the list (``?as_of=YYYY-MM-DD``); this side
    panel offers the deadline and the cut-off of the questionnaire chosen.
    """

    title = gettext_lazy("date received")
    parameter_name = "as_of"

    def lookups(self, request, model_admin):
        questionnaire_id = request.GET.get(QUESTIONNAIRE_PARAM)
        questionnaire = Questionnaire.objects.filter(pk=questionnaire_id).first() \
            if str(questionnaire_id or "").isdigit() else None
        choices = []
        if questionnaire and questionnaire.deadline:
            choices.append((questionnaire.deadline.isoformat(), _("By the deadline (%(date)s)")
                            % {"date": questionnaire.deadline.isoformat()}))
        if questionnaire and questionnaire.cutoff:
            choices.append((questionnaire.cutoff.isoformat(), _("By the cut-off (%(date)s)")
                            % {"date": questionnaire.cutoff.isoformat()}))
        value = self.value()
        if value and value not in dict(choices) and date_param(value):
            choices.append((value, _("By %(date)s") % {"date": value}))
        return choices

    def has_output(self):
        return True

    def choices(self, changelist):
        yield {"selected": self.value() is None, "display": _("Any date"),
               "query_string": changelist.get_query_string(remove=[self.parameter_name])}
        for lookup, title in self.lookup_choices:
            yield {"selected": self.value() == lookup, "display": title,
                   "query_string": changelist.get_query_string({self.parameter_name: lookup})}

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        day = date_param(self.value())
        if day is None:
            raise IncorrectLookupParameters(_("Give the date as YYYY-MM-DD."))
        return queryset.filter(received_on__lte=day)


class TimingFilter(admin.SimpleListFilter):
    """By the deadline, after it but by the cut-off, after the cut-off: as ``timing_of``."""

    title = gettext_lazy("timing")
    parameter_name = "timing"

    def lookups(self, request, model_admin):
        return list(Timing.choices)

    def queryset(self, request, queryset):
        deadline = "recipient__questionnaire__deadline"
        cutoff = "recipient__questionnaire__cutoff"
        received = Q(received_on__isnull=False)
        after_deadline = received & Q(**{f"{deadline}__isnull": False,
                                         "received_on__gt": F(deadline)})
        conditions = {
            Timing.ON_TIME: received & (Q(**{f"{deadline}__isnull": True})
                                        | Q(received_on__lte=F(deadline))),
            Timing.LATE: after_deadline & (Q(**{f"{cutoff}__isnull": True})
                                           | Q(received_on__lte=F(cutoff))),
            Timing.AFTER_CUTOFF: after_deadline & Q(**{f"{cutoff}__isnull": False,
                                                       "received_on__gt": F(cutoff)}),
            Timing.NOT_RECEIVED: Q(received_on__isnull=True),
        }
        condition = conditions.get(self.value())
        return queryset if condition is None else queryset.filter(condition)

"""The status board, the overdue list, the call list and the board's workbook.

The crafted questionnaire replays the 2008 story (A/63/269): sent by fax on 18 March,
deadline 30 April, report cut-off 15 July; one recipient per status. The screens are
driven through the admin (superuser and a staff user without permissions) and run the
same number of queries for 10 recipients as for all 195.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from post_office.models import STATUS as EMAIL_STATUS
from post_office.models import Email

from surveys.models import (
    Contact,
    Dispatch,
    FollowUp,
    Message,
    Questionnaire,
    Recipient,
    Response,
    State,
)
from surveys.selectors import (
    BoardStatus,
    call_list,
    overdue,
    recipient_statuses,
    status_counts,
)

# --- helpers (also used by test_followup) -----------------------------------------------------

MISSION_PHONE = "+1 212 555 0100"


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def make_questionnaire(code="HLD-2008") -> Questionnaire:
    return Questionnaire.objects.create(
        code=code, title={"en": "Follow-up to the High-level Dialogue"},
        sent_on=dt.date(2008, 3, 18), deadline=dt.date(2008, 4, 30),
        cutoff=dt.date(2008, 7, 15), status=Questionnaire.Status.OPEN)


def make_recipient(questionnaire, state, **fields) -> Recipient:
    return Recipient.objects.create(
        questionnaire=questionnaire, state=state, token_salt="x",
        token_hash=f"{questionnaire.pk}-{state.iso3}", **fields)


def mission(state, phone=MISSION_PHONE) -> Contact:
    return Contact.objects.create(state=state, role=Contact.Role.MISSION, phone=phone,
                                  name=f"Permanent Mission of {state.name_en}")


def reply(recipient, received_on, *, status=Response.Status.SUBMITTED,
          channel=Response.Channel.FAX) -> Response:
    return Response.objects.create(recipient=recipient, status=status, channel=channel,
                                   received_on=received_on)


def wave(questionnaire, kind, day) -> Dispatch:
    return Dispatch.objects.create(questionnaire=questionnaire, kind=kind, sent_on=at(day),
                                   channels=["fax"])


def message(dispatch, recipient, *, channel=Message.Channel.FAX, status=Message.Status.SENT,
            email_status=None) -> Message:
    email = None
    if email_status is not None:
        email = Email.objects.create(from_email="inquiry@un.example", to=["pm@example.org"],
                                     status=email_status)
    return Message.objects.create(dispatch=dispatch, recipient=recipient, channel=channel,
                                  status=status, address="x", language="en", email=email)


# --- the crafted 2008 round -------------------------------------------------------------------

DEADLINE = dt.date(2008, 4, 30)
INVITED = dt.date(2008, 3, 18)
REMINDERS = (dt.date(2008, 4, 15), dt.date(2008, 4, 25))


@pytest.fixture
def questionnaire(db):
    return make_questionnaire()


@pytest.fixture
def crafted(questionnaire, registry):
    """One recipient per status, and the traps around each (returns {iso3: Recipient})."""
    q = questionnaire
    invitation = wave(q, Dispatch.Kind.INVITATION, INVITED)
    reminders = [wave(q, Dispatch.Kind.REMINDER, day) for day in REMINDERS]
    invited = {"invited_at": at(INVITED)}
    reminded_twice = {**invited, "reminder_count": 2, "last_reminded_at": at(REMINDERS[1])}
    r = {}

    r["FRA"] = make_recipient(q, registry["FRA"])  # never invited
    r["DEU"] = make_recipient(q, registry["DEU"], **invited)
    message(invitation, r["DEU"])
    # A draft is not a reply.
    r["ESP"] = make_recipient(q, registry["ESP"], **invited)
    reply(r["ESP"], None, status=Response.Status.DRAFT)
    r["ITA"] = make_recipient(q, registry["ITA"], **reminded_twice)
    for dispatch in [invitation, *reminders]:
        message(dispatch, r["ITA"])
    r["MEX"] = make_recipient(q, registry["MEX"], **invited)
    reply(r["MEX"], DEADLINE)  # on the deadline is on time
    r["PHL"] = make_recipient(q, registry["PHL"], **reminded_twice)
    reply(r["PHL"], dt.date(2008, 7, 10), channel=Response.Channel.EMAIL)
    r["BRA"] = make_recipient(q, registry["BRA"], **invited, declined_on=dt.date(2008, 5, 5))
    # Declined, then replied after all: the reply wins.
    r["CAN"] = make_recipient(q, registry["CAN"], **invited, declined_on=dt.date(2008, 4, 2))
    reply(r["CAN"], dt.date(2008, 4, 20))
    # Every message failed: the fax and the copy by e-mail (post_office gave up).
    r["TUV"] = make_recipient(q, registry["TUV"], **invited)
    message(invitation, r["TUV"], status=Message.Status.FAILED)
    message(invitation, r["TUV"], channel=Message.Channel.EMAIL, email_status=EMAIL_STATUS.failed)
    # The fax failed but the e-mail went: the State was reached.
    r["NZL"] = make_recipient(q, registry["NZL"], **invited)
    message(invitation, r["NZL"], status=Message.Status.FAILED)
    message(invitation, r["NZL"], channel=Message.Channel.EMAIL, email_status=EMAIL_STATUS.sent)

    for iso3 in r:
        mission(registry[iso3])
    FollowUp.objects.create(recipient=r["ITA"], happened_at=at(dt.date(2008, 4, 28)),
                            outcome=FollowUp.Outcome.MESSAGE_LEFT)
    FollowUp.objects.create(recipient=r["ITA"], happened_at=at(dt.date(2008, 5, 2)),
                            outcome=FollowUp.Outcome.PROMISED, promised_by=dt.date(2008, 5, 9))
    FollowUp.objects.create(recipient=r["DEU"], happened_at=at(dt.date(2008, 4, 24)),
                            outcome=FollowUp.Outcome.PROMISED, promised_by=dt.date(2008, 6, 30))
    return r


def by_iso3(rows):
    return {row.state.iso3: row for row in rows}


# --- statuses ---------------------------------------------------------------------------------


def test_every_status_from_the_crafted_round(questionnaire, crafted):
    rows = by_iso3(recipient_statuses(questionnaire=questionnaire))
    assert {iso3: row.status for iso3, row in rows.items()} == {
        "FRA": BoardStatus.NOT_INVITED,
        "DEU": BoardStatus.INVITED,
        "ESP": BoardStatus.INVITED,
        "ITA": BoardStatus.REMINDED,
        "MEX": BoardStatus.REPLIED_ON_TIME,
        "PHL": BoardStatus.REPLIED_LATE,
        "BRA": BoardStatus.DECLINED,
        "CAN": BoardStatus.REPLIED_ON_TIME,
        "TUV": BoardStatus.DELIVERY_FAILED,
        "NZL": BoardStatus.INVITED,
    }
    assert rows["ITA"].reminder_count == 2
    assert rows["ITA"].label == "Reminded 2 times"
    assert rows["PHL"].replied_on == dt.date(2008, 7, 10)
    assert rows["PHL"].reply_channel_label == "E-mail"
    assert rows["BRA"].declined_on == dt.date(2008, 5, 5)


def test_last_contact_promise_and_phones(questionnaire, crafted, registry):
    addressee = Contact.objects.create(
        state=registry["ITA"], role=Contact.Role.PERMANENT_REPRESENTATIVE, name="Ambassador",
        phone="+1 212 555 0199")
    Recipient.objects.filter(pk=crafted["ITA"].pk).update(addressee=addressee)
    rows = by_iso3(recipient_statuses(questionnaire=questionnaire))
    italy = rows["ITA"]
    assert italy.last_contact_at == at(dt.date(2008, 5, 2))
    assert italy.last_contact_outcome == FollowUp.Outcome.PROMISED
    assert italy.last_contact_outcome_label == "Promised a reply"
    assert italy.promised_by == dt.date(2008, 5, 9)
    assert italy.mission_phone == MISSION_PHONE
    assert italy.addressee_phone == "+1 212 555 0199"
    assert rows["FRA"].last_contact_at is None
    assert rows["FRA"].promised_by is None


def test_a_reply_of_10_july_counts_on_15_july_not_on_30_june(questionnaire, crafted):
    on_30_june = by_iso3(recipient_statuses(questionnaire=questionnaire,
                                            as_of=dt.date(2008, 6, 30)))
    on_15_july = by_iso3(recipient_statuses(questionnaire=questionnaire,
                                            as_of=dt.date(2008, 7, 15)))
    assert on_30_june["PHL"].status == BoardStatus.REMINDED
    assert on_30_june["PHL"].replied_on is None
    assert on_15_july["PHL"].status == BoardStatus.REPLIED_LATE
    replied_june = status_counts(questionnaire=questionnaire, as_of=dt.date(2008, 6, 30))
    replied_july = status_counts(questionnaire=questionnaire, as_of=dt.date(2008, 7, 15))
    assert replied_june.by_status[BoardStatus.REPLIED_LATE] == 0
    assert replied_july.by_status[BoardStatus.REPLIED_LATE] == 1


def test_as_of_replays_declines_follow_ups_invitations_and_reminders(questionnaire, crafted):
    rows = by_iso3(recipient_statuses(questionnaire=questionnaire, as_of=dt.date(2008, 4, 20)))
    # Brazil declined on 5 May: on 20 April it was merely invited.
    assert rows["BRA"].status == BoardStatus.INVITED
    assert rows["BRA"].declined_on is None
    # One reminder wave (15 April) had gone to Italy; the call of 28 April had not happened.
    assert rows["ITA"].status == BoardStatus.REMINDED
    assert rows["ITA"].reminder_count == 1
    assert rows["ITA"].last_contact_at is None
    assert rows["ITA"].promised_by is None
    # Canada had replied on 20 April ("by D" includes D).
    assert rows["CAN"].status == BoardStatus.REPLIED_ON_TIME
    before = by_iso3(recipient_statuses(questionnaire=questionnaire, as_of=dt.date(2008, 3, 17)))
    assert before["DEU"].status == BoardStatus.NOT_INVITED
    assert before["TUV"].status == BoardStatus.NOT_INVITED  # the failed faxes were not sent yet


def test_counts_by_region_add_up_to_the_totals(questionnaire, crafted):
    counts = status_counts(questionnaire=questionnaire)
    assert counts.total == len(crafted) == sum(counts.by_status.values())
    for status in BoardStatus:
        assert sum(region[status] for region in counts.by_region.values()) == \
            counts.by_status[status]
    assert sum(r.total for r in counts.regions) == counts.total
    assert counts.by_region["Oceania"][BoardStatus.DELIVERY_FAILED] == 1  # Tuvalu
    assert counts.by_region["Americas"][BoardStatus.REPLIED_ON_TIME] == 2  # Mexico, Canada
    assert list(counts.by_region) == sorted(counts.by_region)


def test_overdue_only_after_the_deadline_without_reply_or_decline(questionnaire, crafted):
    assert overdue(questionnaire=questionnaire, as_of=DEADLINE) == []
    late = {row.state.iso3 for row in overdue(questionnaire=questionnaire,
                                               as_of=dt.date(2008, 5, 1))}
    # Brazil had not yet declined (5 May); the Philippines had not yet replied (10 July).
    assert late == {"FRA", "DEU", "ESP", "ITA", "PHL", "BRA", "TUV", "NZL"}
    late = {row.state.iso3 for row in overdue(questionnaire=questionnaire)}
    assert late == {"FRA", "DEU", "ESP", "ITA", "TUV", "NZL"}


def test_call_list_excludes_respondents_and_decliners_broken_promises_first(
        questionnaire, crafted):
    entries = call_list(questionnaire=questionnaire, as_of=dt.date(2008, 5, 12))
    iso3 = [e.row.state.iso3 for e in entries]
    assert set(iso3) == {"FRA", "DEU", "ESP", "ITA", "PHL", "TUV", "NZL"}
    # Italy promised a reply by 9 May: past due on 12 May, so it heads the list;
    # Germany's promise (30 June) is not due yet and it keeps its alphabetical place.
    assert iso3[0] == "ITA"
    assert iso3[1:] == sorted(iso3[1:], key=lambda code: State.objects.get(iso3=code).name_en)
    italy = entries[0]
    assert italy.promise_overdue is True
    assert italy.row.mission_phone == MISSION_PHONE
    # Two follow-ups with Italy in the week either side of the deadline (28 April, 2 May).
    assert italy.calls_in_period == 2
    germany = next(e for e in entries if e.row.state.iso3 == "DEU")
    assert germany.promise_overdue is False
    assert germany.calls_in_period == 1
    # Today: Philippines replied on 10 July, so it is no longer on the list.
    assert "PHL" not in {e.row.state.iso3 for e in call_list(questionnaire=questionnaire)}


def test_call_list_period_follows_the_around_date(questionnaire, crafted):
    entries = call_list(questionnaire=questionnaire, around=dt.date(2008, 5, 20))
    italy = next(e for e in entries if e.row.state.iso3 == "ITA")
    assert italy.calls_in_period == 0


# --- admin screens ----------------------------------------------------------------------------


def board_urls(questionnaire):
    args = [questionnaire.pk]
    return {"board": reverse("admin:surveys_questionnaire_status", args=args),
            "export": reverse("admin:surveys_questionnaire_status_export", args=args),
            "calls": reverse("admin:surveys_questionnaire_calls", args=args)}


def test_board_page_for_a_superuser(admin_client, questionnaire, crafted):
    response = admin_client.get(board_urls(questionnaire)["board"])
    assert response.status_code == 200
    page = response.content.decode()
    assert "Status board" in page
    assert "30 April 2008" in page and "15 July 2008" in page
    assert "Reminded 2 times" in page
    assert "Tuvalu" in page and "Delivery failed" in page
    assert 'id="status-by-region"' in page and 'id="overdue"' in page
    assert reverse("admin:surveys_questionnaire_change", args=[questionnaire.pk]) in page
    assert board_urls(questionnaire)["export"] in page
    assert response.context["counts"].total == 10


def test_board_as_of_filter(admin_client, questionnaire, crafted):
    url = board_urls(questionnaire)["board"]
    june = admin_client.get(url, {"as_of": "2008-06-30"})
    july = admin_client.get(url, {"as_of": "2008-07-15"})
    assert june.context["as_of"] == dt.date(2008, 6, 30)
    assert june.context["counts"].by_status[BoardStatus.REPLIED_LATE] == 0
    assert july.context["counts"].by_status[BoardStatus.REPLIED_LATE] == 1
    assert "?as_of=2008-06-30" in june.content.decode()  # the export keeps the date
    bad = admin_client.get(url, {"as_of": "30/06/2008x"})
    assert bad.status_code == 200
    assert bad.context["as_of"] is None


def test_export_is_a_workbook_with_three_sheets_and_safe_cells(
        admin_client, questionnaire, crafted):
    Contact.objects.filter(state__iso3="ITA").update(phone='=HYPERLINK("http://evil","x")')
    Questionnaire.objects.filter(pk=questionnaire.pk).update(title={"en": "@SUM(1+1)"})
    response = admin_client.get(board_urls(questionnaire)["export"], {"as_of": "2008-07-15"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert 'filename="HLD-2008-status-2008-07-15.xlsx"' in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Summary", "By region", "States"]
    for sheet in workbook:
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])
    states = workbook["States"]
    header = [c.value for c in states[1]]
    lines = {row[0]: dict(zip(header, row, strict=True))
             for row in states.iter_rows(min_row=2, values_only=True)}
    assert len(lines) == 10
    assert lines["Italy"]["Mission phone"] == "'=HYPERLINK(\"http://evil\",\"x\")"
    assert lines["Germany"]["Mission phone"] == "'" + MISSION_PHONE  # "+" is neutralised too
    assert lines["Philippines"]["Status"] == "Replied late"
    assert lines["Philippines"]["Reply received"].date() == dt.date(2008, 7, 10)
    summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(values_only=True)}
    assert summary["Title"] == "'@SUM(1+1)"
    assert summary["Replied late"] == 1
    assert summary["States"] == 10
    by_region = list(workbook["By region"].iter_rows(values_only=True))
    assert by_region[-1][0] == "Total" and by_region[-1][-1] == 10
    assert sum(row[-1] for row in by_region[1:-1]) == 10
    no_formula = [cell.value for sheet in workbook for row in sheet.iter_rows() for cell in row
                  if isinstance(cell.value, str) and cell.value[:1] in "=+-@"]
    assert no_formula == []


def test_call_list_page_shows_the_missions_phone(admin_client, questionnaire, crafted):
    response = admin_client.get(board_urls(questionnaire)["calls"])
    assert response.status_code == 200
    page = response.content.decode()
    assert MISSION_PHONE in page
    assert "Italy" in page and "Germany" in page
    assert "Mexico" not in page  # replied
    assert "Brazil" not in page  # declined
    assert "Log call" in page
    add_url = reverse("admin:surveys_followup_add")
    assert f"{add_url}?recipient={crafted['ITA'].pk}&amp;channel=phone&amp;next=" in page


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    client.force_login(user)
    client.user = user
    return client


@pytest.mark.parametrize("name", ["board", "export", "calls"])
def test_staff_without_permission_is_refused(staff_client, questionnaire, crafted, name):
    assert staff_client.get(board_urls(questionnaire)[name]).status_code == 403


def test_view_permission_opens_the_board_but_not_the_call_form(
        staff_client, questionnaire, crafted):
    staff_client.user.user_permissions.add(
        Permission.objects.get(codename="view_questionnaire"))
    urls = board_urls(questionnaire)
    assert staff_client.get(urls["board"]).status_code == 200
    assert staff_client.get(urls["export"]).status_code == 200
    # The call list is names and telephone numbers: it needs to see the contacts too.
    assert staff_client.get(urls["calls"]).status_code == 403
    staff_client.user.user_permissions.add(Permission.objects.get(codename="view_contact"))
    calls = staff_client.get(urls["calls"])
    assert calls.status_code == 200
    assert "Log call" not in calls.content.decode()
    posted = staff_client.post(urls["calls"], {"recipient": crafted["ITA"].pk,
                                               "outcome": FollowUp.Outcome.REACHED})
    assert posted.status_code == 403
    assert not FollowUp.objects.filter(recipient=crafted["ITA"],
                                       outcome=FollowUp.Outcome.REACHED).exists()


def test_unknown_questionnaire_redirects_to_the_admin(admin_client, questionnaire):
    url = reverse("admin:surveys_questionnaire_status", args=[questionnaire.pk + 999])
    assert admin_client.get(url).status_code == 302


# --- queries do not grow with the recipients --------------------------------------------------


def populate(questionnaire, states):
    """Recipients in every status, with waves, messages, follow-ups, replies and contacts."""
    invitation = wave(questionnaire, Dispatch.Kind.INVITATION, INVITED)
    reminder = wave(questionnaire, Dispatch.Kind.REMINDER, REMINDERS[0])
    kinds = itertools.cycle(["fresh", "invited", "reminded", "on_time", "late", "declined",
                             "failed"])
    for state, kind in zip(states, kinds, strict=False):
        addressee = Contact.objects.create(
            state=state, role=Contact.Role.PERMANENT_REPRESENTATIVE, name="PR",
            phone="=1+1")
        mission(state)
        fields = {} if kind == "fresh" else {"invited_at": at(INVITED)}
        if kind == "reminded":
            fields.update(reminder_count=1, last_reminded_at=at(REMINDERS[0]))
        if kind == "declined":
            fields["declined_on"] = dt.date(2008, 5, 2)
        recipient = make_recipient(questionnaire, state, addressee=addressee, **fields)
        if kind != "fresh":
            message(invitation, recipient, channel=Message.Channel.EMAIL,
                    email_status=EMAIL_STATUS.failed if kind == "failed" else EMAIL_STATUS.sent)
        if kind == "reminded":
            message(reminder, recipient)
        if kind in ("on_time", "late"):
            reply(recipient, DEADLINE if kind == "on_time" else dt.date(2008, 6, 1))
        FollowUp.objects.create(recipient=recipient, happened_at=at(dt.date(2008, 4, 28)),
                                outcome=FollowUp.Outcome.PROMISED,
                                promised_by=dt.date(2008, 5, 5), note="=cmd")


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


def test_queries_do_not_grow_with_the_recipients(admin_client, questionnaire, registry):
    states = sorted(registry.values(), key=lambda s: s.iso3)
    urls = board_urls(questionnaire)
    pages = [(urls["board"], None), (urls["board"], {"as_of": "2008-06-30"}),
             (urls["export"], None), (urls["export"], {"as_of": "2008-06-30"}),
             (urls["calls"], None), (urls["calls"], {"as_of": "2008-05-12"})]

    populate(questionnaire, states[:10])
    admin_client.get(urls["board"])  # warm the session
    with_10 = [count_queries(admin_client, url, params) for url, params in pages]
    populate(questionnaire, states[10:])
    assert questionnaire.recipients.count() == 195
    with_195 = [count_queries(admin_client, url, params) for url, params in pages]

    assert with_10 == with_195
    assert max(with_195) <= 6  # session, user, questionnaire, recipients
    print(f"\nqueries (board, board as of, export, export as of, calls, calls as of): "
          f"{with_195}")


# --- what the dispatch service records, the board reads ---------------------------------------


def test_board_reads_the_waves_recorded_by_the_dispatch_service(questionnaire, registry):
    from post_office.models import EmailTemplate

    from surveys.services.dispatch import TEMPLATE_NAMES, dispatch_create
    from surveys.services.recipients import recipients_add

    for name in TEMPLATE_NAMES.values():
        EmailTemplate.objects.get_or_create(name=name, language="",
                                            defaults={"subject": "Questionnaire",
                                                      "content": "Dear colleague"})
    ghana, kenya = registry["GHA"], registry["KEN"]
    for state in (ghana, kenya):
        Contact.objects.create(state=state, role=Contact.Role.PERMANENT_REPRESENTATIVE,
                               name="PR", fax="+1 212 555 0111", email="pr@example.org")
    mission(ghana)
    recipients_add(questionnaire=questionnaire, states=[ghana, kenya])
    dispatch_create(questionnaire=questionnaire, kind=Dispatch.Kind.INVITATION,
                    channels=["fax"], at=at(INVITED))
    dispatch_create(questionnaire=questionnaire, kind=Dispatch.Kind.REMINDER,
                    channels=["email"], at=at(REMINDERS[0]))

    before = by_iso3(recipient_statuses(questionnaire=questionnaire, as_of=dt.date(2008, 4, 1)))
    assert {row.status for row in before.values()} == {BoardStatus.INVITED}
    rows = by_iso3(recipient_statuses(questionnaire=questionnaire))
    assert rows["GHA"].status == BoardStatus.REMINDED
    assert rows["GHA"].label == "Reminded once"
    assert rows["GHA"].invited_at == at(INVITED)
    [entry, _kenya] = call_list(questionnaire=questionnaire)
    assert entry.row.state == ghana and entry.row.mission_phone == MISSION_PHONE

    # An e-mail reminder the outbox gave up on does not undo the faxed invitation.
    kenya_recipient = questionnaire.recipients.get(state=kenya)
    dispatch_create(questionnaire=questionnaire, kind=Dispatch.Kind.REMINDER,
                    channels=["email"], recipients=[kenya_recipient])
    Email.objects.filter(inquiry_message__recipient=kenya_recipient).update(
        status=EMAIL_STATUS.failed)
    assert by_iso3(recipient_statuses(questionnaire=questionnaire))["KEN"].status == \
        BoardStatus.REMINDED

"""Staff entry of replies received by e-mail, fax or letter, and the replies' admin pages.

Requests go through Django's test client, as a superuser (``admin_client``) or as a
member of staff with only some permissions. The 2008 questionnaire of
``test_questionnaires`` is used: sent 18 March, deadline 30 April, cut-off 15 July.
"""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from surveys.admin import reply_import
from surveys.models import Attachment, Recipient, Response, ResponseVersion
from surveys.services.recipients import recipients_add
from surveys.services.responses import response_save
from tests.surveys.test_questionnaires import make_questionnaire

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# Changelist queries measured on SQLite with 5, 60 and 195 replies: 7 each (session,
# user, the questionnaire and region filters, two counts, the page); 9 filtered.
CHANGELIST_QUERY_CEILING = 12


@pytest.fixture
def private_media(settings):
    """Files go to this test's MEDIA_ROOT/private (the storage reads MEDIA_ROOT at use)."""
    return Path(settings.MEDIA_ROOT) / "private"


@pytest.fixture
def questionnaire(db):
    return make_questionnaire()


@pytest.fixture
def recipients(registry, questionnaire) -> dict[str, Recipient]:
    recipients_add(questionnaire=questionnaire,
                   states=[registry[c] for c in ("FRA", "SEN", "JPN", "BRA", "ESP")])
    return {r.state.iso3: r for r in questionnaire.recipients.select_related("state")}


def url(name, *args):
    return reverse(f"admin:surveys_response_{name}", args=args)


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def entry_data(recipient, *, expected_version=0, received_on="2008-06-10", channel="fax",
               language="fr", views="Le Forum mondial est utile.", original=True,
               date_confirmed=None, note=None, **answers):
    data = {
        "questionnaire": recipient.questionnaire_id, "recipient": recipient.pk,
        "channel": channel, "received_on": received_on, "language": language,
        "expected_version": expected_version, "submission_key": str(uuid.uuid4()),
        "answer-contact": "Mission permanente", "answer-forum_useful": "yes",
        "answer-views": views, "date_confirmed": date_confirmed, "note": note,
    }
    if original:
        data["original"] = SimpleUploadedFile("télécopie 10 juin.pdf", PDF, "application/pdf")
    data.update({f"answer-{code}": value for code, value in answers.items()})
    return {k: v for k, v in data.items() if v is not None}


def enter(client, recipient, **fields):
    response = Response.objects.filter(recipient=recipient).first()
    target = url("enter_version", response.pk) if response and response.version else url("enter")
    return client.post(target, entry_data(recipient, **fields))


def staff(client, django_user_model, *codenames):
    user = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


# --- entering a reply ---------------------------------------------------------------------------


def test_staff_enter_a_fax_with_the_date_received_and_the_original(
        admin_client, recipients, private_media, admin_user):
    sen = recipients["SEN"]
    step1 = admin_client.get(url("enter"))  # one questionnaire: its States are offered at once
    assert step1.status_code == 200
    choices = step1.context["form"].fields["recipient"].queryset
    assert set(choices.values_list("state__iso3", flat=True)) == set(recipients)

    form = admin_client.get(url("enter"), {"questionnaire": sen.questionnaire_id,
                                           "recipient": sen.pk})
    assert form.status_code == 200
    assert [c[0] for c in form.context["entry"].fields["channel"].choices] == \
        ["email", "fax", "letter"]

    data = entry_data(sen)
    data["answer-letter"] = SimpleUploadedFile("Note verbale.PDF", PDF, "application/pdf")
    saved = admin_client.post(url("enter"), data, follow=True)

    response = Response.objects.get(recipient=sen)
    assert saved.redirect_chain[-1][0] == url("change", response.pk)
    assert "Senegal: version 1 recorded." in messages_of(saved)
    assert (response.status, response.channel, response.language, response.version) == \
        (Response.Status.SUBMITTED, "fax", "fr", 1)
    assert response.received_on == datetime.date(2008, 6, 10) != timezone.localdate()
    assert response.entered_by == admin_user
    version = response.versions.get()
    assert (version.received_on, version.channel, version.submitted_by) == \
        (datetime.date(2008, 6, 10), "fax", admin_user)
    answers = {a.question.code: a for a in response.answers.select_related("question")}
    assert answers["views"].text == "Le Forum mondial est utile."
    assert (answers["forum_useful"].text, answers["forum_useful"].value) == ("Oui", ["yes"])

    answered = Attachment.objects.get(response=response, question__code="letter")
    assert answers["letter"].text == "Note verbale.PDF" and answers["letter"].value == answered.pk
    attachment = Attachment.objects.get(response=response, question=None)
    assert attachment.original_name == "télécopie 10 juin.pdf"
    stored = Path(attachment.file.path)
    assert stored.is_relative_to(private_media) and stored.read_bytes() == PDF
    assert "télécopie" not in stored.name  # stored under a random name
    assert admin_client.get(f"/media/private/{attachment.file.name}").status_code == 404


def test_the_original_downloads_only_with_permission_to_view_replies(
        admin_client, client, django_user_model, recipients):
    enter(admin_client, recipients["SEN"])
    attachment = Attachment.objects.get()
    download = url("attachment", attachment.pk)

    assert client.get(download).status_code == 302  # not logged in: to the login page
    clerk = staff(client, django_user_model)
    assert clerk.get(download).status_code == 403

    clerk_user = django_user_model.objects.get(username="clerk")
    clerk_user.user_permissions.add(Permission.objects.get(codename="view_response"))
    got = clerk.get(download)
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == PDF
    assert got["Content-Disposition"].startswith("attachment;")
    assert "t%C3%A9l%C3%A9copie%2010%20juin.pdf" in got["Content-Disposition"]
    assert got["Content-Type"] == "application/pdf"
    assert got["X-Content-Type-Options"] == "nosniff"

    page = admin_client.get(url("change", attachment.response_id))
    assert download in page.content.decode()


def test_a_missing_required_answer_records_nothing(admin_client, recipients, private_media):
    page = enter(admin_client, recipients["SEN"], views=None)

    assert page.status_code == 200
    assert page.context["answers"].errors["views"] == ["This field is required."]
    assert "Nothing was recorded" in page.content.decode()
    assert not Response.objects.exists() and not Attachment.objects.exists()
    assert not any(private_media.rglob("*.pdf"))


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"received_on": "2999-01-01"}, "received_on", "cannot be in the future"),
    ({"channel": "portal"}, "channel", "Select a valid choice"),
    ({"channel": "import"}, "channel", "Select a valid choice"),
    ({"language": "de"}, "language", "Select a valid choice"),
    ({"original": False, "channel": "letter"}, "original", "Attach the scan"),
    ({"received_on": ""}, "received_on", "This field is required"),
])
def test_the_circumstances_of_the_reply_are_checked(admin_client, recipients, fields, field,
                                                    message):
    page = enter(admin_client, recipients["SEN"], **fields)
    assert page.status_code == 200
    assert message in " ".join(page.context["entry"].errors[field])
    assert not Response.objects.exists()


def test_an_e_mail_reply_needs_no_file(admin_client, recipients):
    enter(admin_client, recipients["SEN"], channel="email", original=False)
    assert Response.objects.get().channel == "email"
    assert not Attachment.objects.exists()


def test_a_date_before_the_sending_is_asked_once_then_accepted(admin_client, recipients):
    sen = recipients["SEN"]
    asked = enter(admin_client, sen, received_on="2008-03-01")
    assert "before the questionnaire was sent (2008-03-18)" in \
        " ".join(asked.context["entry"].errors["received_on"])
    assert 'name="date_confirmed"' in asked.content.decode()
    assert not Response.objects.exists()

    enter(admin_client, sen, received_on="2008-03-01", date_confirmed="on")
    assert Response.objects.get().received_on == datetime.date(2008, 3, 1)


def test_an_invalid_answer_is_refused_as_in_the_portal(admin_client, recipients):
    page = enter(admin_client, recipients["SEN"], forum_useful="maybe", migrants="many",
                 original=False, channel="email")
    errors = page.context["answers"].errors
    assert "forum_useful" in errors and "migrants" in errors
    assert not Response.objects.exists()


def test_a_reply_after_the_cut_off_is_kept_with_a_warning(admin_client, recipients):
    saved = admin_client.post(url("enter"), entry_data(recipients["SEN"],
                                                       received_on="2008-07-20"), follow=True)
    assert "after the report's cut-off" in messages_of(saved)
    assert Response.objects.get().received_on == datetime.date(2008, 7, 20)


# --- versions -----------------------------------------------------------------------------------


def test_a_second_entry_is_version_2_and_both_versions_are_listed(admin_client, recipients):
    sen = recipients["SEN"]
    enter(admin_client, sen)
    response = Response.objects.get()

    # Choosing the State again leads to a new version of its reply, prefilled.
    again = admin_client.get(url("enter"), {"questionnaire": sen.questionnaire_id,
                                            "recipient": sen.pk})
    assert again.status_code == 302 and again["Location"] == url("enter_version", response.pk)
    form = admin_client.get(url("enter_version", response.pk))
    assert form.context["answers"].initial["views"] == "Le Forum mondial est utile."
    assert form.context["entry"].initial["expected_version"] == 1

    saved = admin_client.post(url("enter_version", response.pk), entry_data(
        sen, expected_version=1, received_on="2008-07-10", channel="letter",
        views="Le Forum doit rester informel.", note="Note verbale No. 2008/117"),
        follow=True)

    assert "Senegal: version 2 recorded." in messages_of(saved)
    response.refresh_from_db()
    assert response.version == 2 and response.channel == "letter"
    assert response.received_on == datetime.date(2008, 6, 10)  # first arrival, unchanged
    first, second = response.versions.order_by("number")
    assert first.answers["views"]["text"] == "Le Forum mondial est utile."  # kept as sent
    assert second.answers["views"]["text"] == "Le Forum doit rester informel."
    assert second.received_on == datetime.date(2008, 7, 10)
    assert second.note == "Note verbale No. 2008/117"
    assert response.attachments.count() == 2

    page = admin_client.get(url("change", response.pk)).content.decode()
    assert 'id="version-1"' in page and 'id="version-2"' in page
    assert "Le Forum mondial est utile." in page and "Le Forum doit rester informel." in page
    assert url("enter_version", response.pk) in page


def test_a_save_based_on_an_outdated_version_is_refused(admin_client, recipients):
    sen = recipients["SEN"]
    enter(admin_client, sen)
    response = Response.objects.get()
    # Two officers open the same reply (version 1); the first saves version 2.
    enter(admin_client, sen, expected_version=1, views="First officer's entry.")

    late = admin_client.post(url("enter_version", response.pk), entry_data(
        sen, expected_version=1, views="Second officer's entry."))

    assert late.status_code == 200
    page = late.content.decode()
    assert "This reply was changed by someone else (now version 2, you opened version 1)" in page
    assert "Second officer&#x27;s entry." in page  # what was typed is still on the form
    assert late.context["entry"]["expected_version"].value() == "2"
    response.refresh_from_db()
    assert response.version == 2
    assert response.answers.get(question__code="views").text == "First officer's entry."
    assert ResponseVersion.objects.count() == 2 and Attachment.objects.count() == 2


def test_two_officers_entering_the_same_first_reply(admin_client, recipients):
    sen = recipients["SEN"]
    enter(admin_client, sen, views="First officer's entry.")
    # The second officer had opened the empty form before the first one saved.
    late = admin_client.post(url("enter"), entry_data(sen, views="Second officer's entry."))

    assert late.status_code == 200
    page = late.content.decode()
    assert "now version 1, you opened version 0" in page
    assert f'action="{url("enter_version", Response.objects.get().pk)}"' in page
    assert ResponseVersion.objects.count() == 1
    assert Response.objects.get().answers.get(question__code="views").text == \
        "First officer's entry."


def test_a_double_press_of_save_records_one_version(admin_client, recipients):
    data = entry_data(recipients["SEN"])
    data.pop("original")
    data["channel"] = "email"
    admin_client.post(url("enter"), data)
    repeated = admin_client.post(url("enter"), data, follow=True)
    assert "already been recorded as version 1" in messages_of(repeated)
    assert ResponseVersion.objects.count() == 1


def test_a_portal_draft_becomes_the_entered_reply(admin_client, recipients):
    sen = recipients["SEN"]
    response_save(recipient=sen, data={"views": "Draft in the portal"}, language="fr",
                  submit=False)
    form = admin_client.get(url("enter"), {"questionnaire": sen.questionnaire_id,
                                           "recipient": sen.pk})
    assert "has a draft in the reply portal" in form.content.decode()
    assert "views" not in form.context["answers"].initial  # the draft is not the letter

    enter(admin_client, sen)
    response = Response.objects.get()
    assert response.status == Response.Status.SUBMITTED and response.version == 1
    assert response.history.filter(status=Response.Status.DRAFT).exists()


def test_step_one_offers_only_the_recipients_of_the_questionnaire(admin_client, recipients,
                                                                  registry):
    other = make_questionnaire("OTHER-2009")
    recipients_add(questionnaire=other, states=[registry["DEU"]])
    choose = admin_client.get(url("enter"))
    assert "recipient" not in choose.context["form"].fields["recipient"].widget.attrs.get(
        "name", "")  # two questionnaires: the questionnaire is chosen first
    assert choose.context["questionnaire"] is None

    page = admin_client.get(url("enter"), {"questionnaire": other.pk})
    assert list(page.context["form"].fields["recipient"].queryset
                .values_list("state__iso3", flat=True)) == ["DEU"]
    # A State of another questionnaire is not accepted.
    wrong = admin_client.get(url("enter"), {"questionnaire": other.pk,
                                            "recipient": recipients["SEN"].pk})
    assert wrong.status_code == 200 and "entry" not in wrong.context


def test_entry_permissions(client, django_user_model, recipients, admin_client):
    sen = recipients["SEN"]
    enter(admin_client, sen)
    response = Response.objects.get()

    reader = staff(client, django_user_model, "view_response")
    assert reader.get(url("enter")).status_code == 403
    assert reader.get(url("enter_version", response.pk)).status_code == 403
    assert reader.get(url("change", response.pk)).status_code == 200

    clerk = django_user_model.objects.get(username="clerk")
    clerk.user_permissions.add(Permission.objects.get(codename="add_response"))
    assert reader.get(url("enter")).status_code == 200
    assert reader.get(url("enter_version", response.pk)).status_code == 403  # needs "change"
    jpn = recipients["JPN"]
    assert reader.get(url("enter"), {"questionnaire": jpn.questionnaire_id,
                                     "recipient": jpn.pk}).status_code == 200


def test_the_add_button_leads_to_staff_entry(admin_client, recipients):
    added = admin_client.get(url("add"))
    assert added.status_code == 302 and added["Location"] == url("enter")
    page = admin_client.get(url("changelist")).content.decode()
    assert "Enter a reply" in page and url("enter") in page


# --- nothing is deleted, nothing edited in place, history kept ---------------------------------


def test_replies_cannot_be_deleted_or_edited_in_place(admin_client, recipients):
    enter(admin_client, recipients["SEN"])
    response = Response.objects.get()
    record = response.history.latest()

    assert admin_client.get(url("delete", response.pk)).status_code == 403
    assert admin_client.post(url("delete", response.pk), {"post": "yes"}).status_code == 403
    changelist = admin_client.get(url("changelist"))
    assert "delete_selected" not in dict(changelist.context["action_form"]
                                         .fields["action"].choices)
    assert admin_client.post(url("change", response.pk),
                             {"channel": "letter"}).status_code == 403
    revert = reverse("admin:surveys_response_simple_history", args=[response.pk,
                                                                     record.history_id])
    assert admin_client.get(revert).status_code == 200
    assert admin_client.post(revert, {}).status_code == 403
    page = admin_client.get(url("change", response.pk)).content.decode()
    assert "Delete" not in page and 'name="_save"' not in page
    assert Response.objects.get().channel == "fax"


def test_the_history_page_lists_the_changes(admin_client, recipients):
    sen = recipients["SEN"]
    enter(admin_client, sen)
    response = Response.objects.get()
    enter(admin_client, sen, expected_version=1, views="Amended view.")

    history = admin_client.get(url("history", response.pk))

    assert history.status_code == 200
    page = history.content.decode()
    assert 'id="change-history"' in page  # the reply's own records (simple-history)
    assert "<strong>Version:</strong>" in page  # 1 → 2
    assert 'id="answer-history"' in page
    assert "Le Forum mondial est utile." in page and "Amended view." in page
    assert "Changed" in page and "admin" in page
    assert url("history", response.pk) in admin_client.get(url("change", response.pk))\
        .content.decode()


def test_mark_as_declined_uses_the_recipients_action(admin_client, recipients):
    fra = recipients["FRA"]
    response_save(recipient=fra, data={"views": "Brouillon"}, language="fr", submit=False)
    response = Response.objects.get()
    page = admin_client.get(url("change", response.pk)).content.decode()
    assert 'value="mark_declined"' in page and reverse("admin:surveys_recipient_changelist") \
        in page

    changelist = reverse("admin:surveys_recipient_changelist")
    form = admin_client.post(changelist, {"action": "mark_declined", "index": "0",
                                          "select_across": "0", "_selected_action": fra.pk})
    assert form.status_code == 200 and "France" in form.content.decode()
    admin_client.post(changelist, {"action": "mark_declined", "apply": "1",
                                   "_selected_action": fra.pk, "on": "2008-05-02",
                                   "note": "No capacity this year."})
    fra.refresh_from_db()
    assert fra.declined_on == datetime.date(2008, 5, 2)
    page = admin_client.get(url("change", response.pk)).content.decode()
    assert "No capacity this year." in page and 'value="mark_declined"' not in page


# --- the list -----------------------------------------------------------------------------------


@pytest.fixture
def four_replies(recipients):
    """Received on 20 April (on time), 10 June and 10 July (late), 20 July (after cut-off)."""
    days = {"FRA": (2008, 4, 20), "SEN": (2008, 6, 10), "JPN": (2008, 7, 10),
            "BRA": (2008, 7, 20)}
    for iso3, day in days.items():
        response_save(recipient=recipients[iso3], data={"views": f"View of {iso3}",
                                                        "forum_useful": "yes"},
                      language="en", submit=True, channel="fax",
                      received_on=datetime.date(*day))
    response_save(recipient=recipients["ESP"], data={"views": "borrador"}, language="es",
                  submit=False)
    return days


def listed(client, **params) -> set[str]:
    page = client.get(url("changelist"), params)
    assert page.status_code == 200, page
    return {r.recipient.state.iso3 for r in page.context["cl"].result_list}


def test_timing_filter(admin_client, four_replies):
    assert listed(admin_client, timing="on_time") == {"FRA"}
    assert listed(admin_client, timing="late") == {"SEN", "JPN"}
    assert listed(admin_client, timing="after_cutoff") == {"BRA"}
    assert listed(admin_client, timing="none") == {"ESP"}
    page = admin_client.get(url("changelist")).content.decode()
    for label in ("By the deadline", "After the deadline, by the cut-off", "After the cut-off"):
        assert label in page  # the filter
    rows = {r.recipient.state.iso3: r for r in admin_client.get(url("changelist"))
            .context["cl"].result_list}
    column = admin.site.get_model_admin(Response).timing_display  # in short words
    assert [str(column(rows[c])) for c in ("FRA", "SEN", "BRA", "ESP")] == \
        ["on time", "late", "after cut-off", "—"]


def test_as_of_filter(admin_client, four_replies, questionnaire):
    assert listed(admin_client, as_of="2008-04-30") == {"FRA"}
    assert listed(admin_client, as_of="2008-06-30") == {"FRA", "SEN"}
    assert listed(admin_client, as_of="2008-07-15") == {"FRA", "SEN", "JPN"}
    assert listed(admin_client, as_of="2008-07-15", timing="late") == {"SEN", "JPN"}
    assert listed(admin_client) == {"FRA", "SEN", "JPN", "BRA", "ESP"}
    page = admin_client.get(url("changelist"), {"as_of": "2008-06-30"}).content.decode()
    assert 'type="date" name="as_of"' in page and 'value="2008-06-30"' in page
    assert "Only the replies received by 30 June 2008." in page
    # The side panel offers the deadline and the cut-off of the questionnaire chosen.
    chosen = admin_client.get(url("changelist"),
                              {"recipient__questionnaire__id__exact": questionnaire.pk})
    assert "By the cut-off (2008-07-15)" in chosen.content.decode()
    assert admin_client.get(url("changelist"), {"as_of": "30/06/2008"})["Location"].endswith(
        "?e=1")


def test_list_columns_and_search(admin_client, four_replies):
    page = admin_client.get(url("changelist"), {"q": "Sénégal"})
    assert {r.recipient.state.iso3 for r in page.context["cl"].result_list} == {"SEN"}
    html = admin_client.get(url("changelist")).content.decode()
    for text in ("Senegal", "HLD-2008", "Submitted", "Fax", "July 20, 2008", "English"):
        assert text in html


def _bulk_replies(questionnaire, states, day=datetime.date(2008, 6, 1)):
    recipients_add(questionnaire=questionnaire, states=states)
    now = timezone.now()
    responses = Response.objects.bulk_create(
        Response(recipient=r, status=Response.Status.SUBMITTED, channel="fax", version=1,
                 received_on=day, submitted_at=now)
        for r in questionnaire.recipients.filter(response__isnull=True))
    ResponseVersion.objects.bulk_create(
        ResponseVersion(response=r, number=1, submitted_at=now, received_on=day,
                        channel="fax", language="en", answers={"views": {"text": "x"}})
        for r in responses)


def test_changelist_queries_do_not_grow_with_the_replies(admin_client, questionnaire,
                                                         registry):
    states = sorted(registry.values(), key=lambda s: s.iso3)

    def count():
        with CaptureQueriesContext(connection) as context:
            assert admin_client.get(url("changelist")).status_code == 200
        return len(context)

    _bulk_replies(questionnaire, states[:5])
    assert Response.objects.count() == 5
    few = count()
    _bulk_replies(questionnaire, states[:60])
    assert Response.objects.count() == 60
    many = count()
    assert few == many <= CHANGELIST_QUERY_CEILING, (few, many)


# --- the import screen is wired to its own module ------------------------------------------------


def test_import_screen_is_the_reply_import_module(admin_client, monkeypatch, recipients):
    calls = []

    def fake(model_admin, request):
        calls.append(model_admin)
        return HttpResponse("import screen")

    monkeypatch.setattr(reply_import, "reply_import_view", fake)
    got = admin_client.get(url("import"))
    assert got.content == b"import screen" and calls
    assert "Import from spreadsheet" in admin_client.get(url("changelist")).content.decode()


def test_import_screen_needs_the_add_permission(client, django_user_model, recipients):
    reader = staff(client, django_user_model, "view_response")
    assert reader.get(url("import")).status_code == 403

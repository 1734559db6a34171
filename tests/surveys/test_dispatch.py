"""Waves: one message per recipient, channel and contact, in each contact's language.

A wave never talks to a mail server (e-mails wait in post_office's outbox), carries
the State's personal link, leaves out (and names) States it cannot reach, records
back-dated waves, and runs a fixed number of queries for 195 States. The printable
fax letters and the admin screens are exercised through the test client.
"""

from __future__ import annotations

import datetime
import importlib
import re

import pytest
from django.apps import apps
from django.core import mail as django_mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from post_office import mail as post_office_mail
from post_office.models import STATUS, Email, EmailTemplate

from surveys.models import Contact, Dispatch, Message, Questionnaire, Recipient
from surveys.services.dispatch import dispatch_create, dispatch_mark_sent
from surveys.services.outbox import dispatches_with_counts, messages_with_status
from surveys.services.recipients import recipients_add
from surveys.services.tokens import recipient_from_token

# Creating a wave for 195 States by e-mail and fax, with a copy to a focal point
# each (585 messages, 390 e-mails), measured: 25 queries on SQLite (8, plus 17 inserts:
# SQLite takes at most 999 parameters a statement, so the e-mails and the messages go
# in 8 batches each) and 11 on PostgreSQL (8, plus one insert per table). No query per
# recipient.
WAVE_QUERY_CEILING_WITHOUT_INSERTS = 12
WAVE_QUERY_CEILING = 30

TITLE = {
    "en": "Follow-up to the High-level Dialogue on International Migration and Development",
    "fr": "Suite donnée au Dialogue de haut niveau sur les migrations internationales et le "
          "développement",
    "es": "Seguimiento del Diálogo de Alto Nivel sobre la Migración Internacional y el Desarrollo",
    "ru": "Последующая деятельность по итогам Диалога на высоком уровне по вопросу о "
          "международной миграции и развитии",
    "zh-hans": "国际移徙与发展问题高级别对话的后续行动",
    "ar": "متابعة الحوار الرفيع المستوى بشأن الهجرة الدولية والتنمية",
}
LINK = re.compile(r"https?://\S+/r/[A-Za-z0-9_-]+/")


# --- helpers shared by the distribution tests ---------------------------------------------------


def ensure_message_templates():
    """The texts of migration 0003 (a flushing transactional test may have removed them)."""
    migration = importlib.import_module("surveys.migrations.0003_message_templates")
    migration.create_templates(apps, None)


def make_questionnaire(code="HLD-2008", *, deadline=None, status=Questionnaire.Status.OPEN,
                       max_reminders=3) -> Questionnaire:
    return Questionnaire.objects.create(
        code=code, title=TITLE, reference="General Assembly resolution 61/208",
        deadline=deadline or datetime.date(2008, 4, 30), status=status,
        max_reminders=max_reminders)


def make_contacts(state, *, language="en", pr=True, mission=True, focal_point=True,
                  pr_email=True, fax=True, domain=None) -> dict[str, Contact]:
    """A mission, its Permanent Representative and a focal point, like the registry has."""
    domain = domain or f"{state.iso3.lower()}.example.org"
    made = {}
    if mission:
        made["mission"] = Contact.objects.create(
            state=state, role=Contact.Role.MISSION, name=f"Permanent Mission of {state.name_en}",
            email=f"mission@{domain}", fax="+1 212 555 0100" if fax else "",
            address=f"1 United Nations Plaza\nNew York, NY 10017 ({state.iso3})",
            language=language)
    if pr:
        made["pr"] = Contact.objects.create(
            state=state, role=Contact.Role.PERMANENT_REPRESENTATIVE, honorific="H.E.",
            name=f"Ambassador of {state.iso3}", email=f"pr@{domain}" if pr_email else "",
            language=language)
    if focal_point:
        made["focal_point"] = Contact.objects.create(
            state=state, role=Contact.Role.FOCAL_POINT, name=f"Focal point of {state.iso3}",
            process="Global Forum on Migration and Development", email=f"gfmd@{domain}",
            language=language)
    return made


@pytest.fixture
def templates(db):
    ensure_message_templates()


@pytest.fixture
def questionnaire(db, templates):
    return make_questionnaire()


def emails_of(dispatch) -> dict[str, Email]:
    """The outbox e-mails of a wave, by address."""
    return {m.address: m.email for m in dispatch.messages.select_related("email")
            .filter(channel=Message.Channel.EMAIL)}


# --- messages per channel, addressee and copies -------------------------------------------------


def test_wave_creates_one_message_per_recipient_channel_and_contact(registry, questionnaire):
    fra, sen, chn = registry["FRA"], registry["SEN"], registry["CHN"]
    make_contacts(fra, language="fr")
    make_contacts(sen, language="fr", pr_email=False)  # the PR has no e-mail: the mission's
    make_contacts(chn, language="zh-hans", fax=False)  # no fax number anywhere
    recipients_add(questionnaire=questionnaire, states=[fra, sen, chn])

    dispatch = dispatch_create(questionnaire=questionnaire, kind=Dispatch.Kind.INVITATION,
                               channels=["email", "fax"])

    rows = set(dispatch.messages.values_list("recipient__state__iso3", "channel", "role"))
    assert rows == {
        ("FRA", "email", "to"), ("FRA", "email", "cc"), ("FRA", "fax", "to"),
        ("SEN", "email", "to"), ("SEN", "email", "cc"), ("SEN", "fax", "to"),
        ("CHN", "email", "to"), ("CHN", "email", "cc"),
    }
    sen_email = dispatch.messages.get(recipient__state=sen, channel="email", role="to")
    assert sen_email.address == "mission@sen.example.org"  # the mission's address...
    assert sen_email.contact.role == Contact.Role.PERMANENT_REPRESENTATIVE  # ...to the PR
    fax = dispatch.messages.get(recipient__state=fra, channel="fax")
    assert (fax.address, fax.status, fax.email) == ("+1 212 555 0100", Message.Status.READY, None)

    # Who could not be reached is said, to the caller and on the wave itself.
    assert [(s.recipient.state.iso3, s.channel) for s in dispatch.skipped] == [("CHN", "fax")]
    assert "Fax — no fax number: China." in dispatch.note
    assert dispatch.counts == {"email": 6, "fax": 2}
    assert dispatch.reached == 3


def test_copies_can_be_left_out_and_inactive_contacts_get_nothing(registry, questionnaire):
    made = make_contacts(registry["FRA"])
    made["focal_point"].is_active = False
    made["focal_point"].save()
    other = Contact.objects.create(state=registry["FRA"], role=Contact.Role.FOCAL_POINT,
                                   name="Second focal point", email="second@fra.example.org")
    recipients_add(questionnaire=questionnaire, states=[registry["FRA"]])

    with_copies = dispatch_create(questionnaire=questionnaire, kind="invitation",
                                  channels=["email"])
    without = dispatch_create(questionnaire=questionnaire, kind="invitation", channels=["email"],
                              include_copies=False)

    assert sorted(with_copies.messages.values_list("address", flat=True)) == [
        "pr@fra.example.org", "second@fra.example.org"]
    assert list(without.messages.values_list("address", flat=True)) == ["pr@fra.example.org"]
    assert other.pk in set(with_copies.messages.values_list("contact", flat=True))


def test_a_recipient_without_addressee_or_valid_address_is_skipped_and_named(registry,
                                                                            questionnaire):
    recipients_add(questionnaire=questionnaire, states=[registry["TCD"]])  # no contact at all
    made = make_contacts(registry["NER"], mission=False, focal_point=False)
    Contact.objects.filter(pk=made["pr"].pk).update(email="not an address")
    recipients_add(questionnaire=questionnaire, states=[registry["NER"]])

    dispatch = dispatch_create(questionnaire=questionnaire, kind="invitation", channels=["email"])

    assert dispatch.messages.count() == 0
    reasons = {(s.recipient.state.iso3, s.reason) for s in dispatch.skipped}
    assert reasons == {("TCD", "no addressee"), ("NER", "the e-mail address is not valid")}
    assert "Chad" in dispatch.note and "Niger" in dispatch.note
    assert Recipient.objects.filter(invited_at__isnull=False).count() == 0


# --- languages and links --------------------------------------------------------------------------

EXPECTED = {
    # language: (words of the subject, words of the body, the State's name in the body)
    "en": ("Questionnaire", "I have the honour to invite your Government", "GBR", "name_en"),
    "fr": ("Questionnaire « Suite donnée", "J'ai l'honneur d'inviter votre gouvernement", "FRA",
           "name_fr"),
    "ar": ("الاستبيان «متابعة الحوار", "يشرفني أن أدعو حكومتكم", "EGY", "name_ar"),
    "zh-hans": ("调查问卷《国际移徙与发展问题高级别对话的后续行动》", "谨邀请贵国政府答复调查问卷",
                "CHN", "name_zh"),
}


def test_each_contact_reads_the_invitation_in_its_language_with_its_link(registry,
                                                                         questionnaire):
    for language, (_subject, _body, iso3, _name) in EXPECTED.items():
        make_contacts(registry[iso3], language=language)
    recipients_add(questionnaire=questionnaire,
                   states=[registry[e[2]] for e in EXPECTED.values()])

    dispatch = dispatch_create(questionnaire=questionnaire, kind="invitation", channels=["email"])

    deadlines = {"en": "30 April 2008", "fr": "30 avril 2008", "zh-hans": "2008年4月30日",
                 "ar": "2008"}
    for language, (subject, body, iso3, name_field) in EXPECTED.items():
        state = registry[iso3]
        message = dispatch.messages.select_related("email").get(
            recipient__state=state, role=Message.Role.TO, channel="email")
        email = message.email
        assert message.language == language
        assert email.status == STATUS.queued and email.template.language in (language, "")
        assert subject in email.subject, language
        assert body in email.message, language
        assert getattr(state, name_field) in email.message
        assert TITLE[language] in email.message
        assert deadlines[language] in email.message
        assert "General Assembly resolution 61/208" in email.message
        links = LINK.findall(email.message)
        assert len(links) == 1
        token = links[0].rstrip("/").rsplit("/", 1)[1]
        assert recipient_from_token(token) == message.recipient


def test_a_copy_says_it_is_a_copy_for_information(registry, questionnaire):
    make_contacts(registry["FRA"], language="fr")
    make_contacts(registry["GBR"], language="en")
    recipients_add(questionnaire=questionnaire, states=[registry["FRA"], registry["GBR"]])

    dispatch = dispatch_create(questionnaire=questionnaire, kind="invitation", channels=["email"])
    by_address = emails_of(dispatch)

    assert by_address["gfmd@fra.example.org"].subject.startswith("Copie pour information")
    assert "COPIE POUR INFORMATION — adressée à Focal point of FRA" in \
        by_address["gfmd@fra.example.org"].message
    assert "The original is addressed to H.E. Ambassador of GBR" in \
        by_address["gfmd@gbr.example.org"].message
    assert "COPY" not in by_address["pr@gbr.example.org"].message
    assert by_address["pr@gbr.example.org"].message.count("\n\n\n") == 0
    assert by_address["pr@gbr.example.org"].message.lstrip().startswith(
        "H.E. Ambassador of GBR\nUnited Kingdom")
    # The addressee and the copy carry the same personal link.
    assert LINK.findall(by_address["gfmd@fra.example.org"].message) == \
        LINK.findall(by_address["pr@fra.example.org"].message)


def test_a_language_without_template_falls_back_to_english(registry, questionnaire):
    EmailTemplate.objects.filter(name="invitation", language="ru").delete()
    make_contacts(registry["RUS"], language="ru", focal_point=False)
    recipients_add(questionnaire=questionnaire, states=[registry["RUS"]])

    dispatch = dispatch_create(questionnaire=questionnaire, kind="invitation", channels=["email"])

    message = dispatch.messages.select_related("email").get()
    assert message.language == "en"
    assert "I have the honour to invite your Government" in message.email.message
    assert "Russian Federation" in message.email.message


# --- the outbox: nothing is sent in the request ------------------------------------------------


def test_a_wave_only_queues_and_the_outbox_delivers(registry, questionnaire):
    make_contacts(registry["FRA"], language="fr")
    recipients_add(questionnaire=questionnaire, states=[registry["FRA"]])

    dispatch = dispatch_create(questionnaire=questionnaire, kind="invitation", channels=["email"])

    assert django_mail.outbox == []
    statuses = dict(messages_with_status(dispatch.messages.all())
                    .values_list("address", "delivery_status"))
    assert statuses == {"pr@fra.example.org": "queued", "gfmd@fra.example.org": "queued"}
    counts = dispatches_with_counts().get(pk=dispatch.pk)
    assert (counts.n_messages, counts.n_queued, counts.n_sent) == (2, 2, 0)

    post_office_mail.send_queued()

    assert sorted(m.to[0] for m in django_mail.outbox) == ["gfmd@fra.example.org",
                                                            "pr@fra.example.org"]
    rows = messages_with_status(dispatch.messages.all()).values_list(
        "delivery_status", "delivery_attempts", "delivery_error")
    assert set(rows) == {("sent", 1, "")}
    counts = dispatches_with_counts().get(pk=dispatch.pk)
    assert (counts.n_queued, counts.n_sent) == (0, 2)


# --- fax and post ------------------------------------------------------------------------------


def test_faxes_are_ready_then_marked_sent_at_the_fax_log_time(registry, questionnaire):
    for iso3 in ("FRA", "GBR"):
        make_contacts(registry[iso3])
    recipients_add(questionnaire=questionnaire, states=[registry["FRA"], registry["GBR"]])
    dispatch = dispatch_create(questionnaire=questionnaire, kind="invitation",
                               channels=["fax", "post"], include_copies=False)
    assert dispatch.sent_on is None
    assert set(dispatch.messages.values_list("status", flat=True)) == {"ready"}

    fax_time = timezone.make_aware(datetime.datetime(2008, 3, 18, 16, 40))
    assert dispatch_mark_sent(dispatch=dispatch, channel="fax", at=fax_time) == 2
    assert dispatch_mark_sent(dispatch=dispatch, channel="fax", at=fax_time) == 0  # once

    dispatch.refresh_from_db()
    assert dispatch.sent_on == fax_time
    faxes = dispatch.messages.filter(channel="fax")
    assert {(m.status, m.sent_at) for m in faxes} == {("sent", fax_time)}
    assert set(dispatch.messages.filter(channel="post").values_list("status", flat=True)) == {
        "ready"}
    assert set(Recipient.objects.values_list("invited_at", flat=True)) == {fax_time}
    counts = dispatches_with_counts().get(pk=dispatch.pk)
    assert (counts.n_sent, counts.n_ready) == (2, 2)


# --- recording a past wave -----------------------------------------------------------------------


def test_a_past_wave_is_recorded_at_its_time_and_nothing_is_queued(registry, questionnaire):
    make_contacts(registry["FRA"], language="fr")
    make_contacts(registry["MEX"], language="es")
    recipients_add(questionnaire=questionnaire, states=[registry["FRA"], registry["MEX"]])
    march_18 = timezone.make_aware(datetime.datetime(2008, 3, 18, 10, 0))

    invitation = dispatch_create(questionnaire=questionnaire, kind="invitation",
                                 channels=["fax", "email"], at=march_18)

    assert invitation.sent_on == march_18
    assert set(invitation.messages.values_list("status", "sent_at")) == {("sent", march_18)}
    assert Email.objects.count() == 0
    assert set(Recipient.objects.values_list("invited_at", flat=True)) == {march_18}
    questionnaire.refresh_from_db()
    assert questionnaire.sent_on == datetime.date(2008, 3, 18)

    april_16 = timezone.make_aware(datetime.datetime(2008, 4, 16, 9, 0))
    reminder = dispatch_create(questionnaire=questionnaire, kind="reminder", channels=["email"],
                               at=april_16)
    assert reminder.sent_on == april_16
    assert set(Recipient.objects.values_list("reminder_count", "last_reminded_at")) == {
        (1, april_16)}
    statuses = set(messages_with_status(reminder.messages.all()).values_list(
        "delivery_status", "delivered_at"))
    assert statuses == {("sent", april_16)}

    # A later invitation wave does not move the first invitation's date.
    dispatch_create(questionnaire=questionnaire, kind="invitation", channels=["email"])
    assert set(Recipient.objects.values_list("invited_at", flat=True)) == {march_18}


# --- a whole wave: bounded queries ---------------------------------------------------------------


def _contacts_for_all(registry):
    contacts = []
    languages = ["en", "fr", "es", "ru", "zh-hans", "ar"]
    for index, state in enumerate(registry.values()):
        language = languages[index % 6]
        contacts += [
            Contact(state=state, role=Contact.Role.MISSION, name=f"Mission {state.iso3}",
                    fax=f"+1 212 555 {index:04d}", language=language),
            Contact(state=state, role=Contact.Role.PERMANENT_REPRESENTATIVE,
                    name=f"PR {state.iso3}", email=f"pr@{state.iso3.lower()}.example.org",
                    language=language),
            Contact(state=state, role=Contact.Role.FOCAL_POINT, name=f"FP {state.iso3}",
                    email=f"fp@{state.iso3.lower()}.example.org", language=language),
        ]
    Contact.objects.bulk_create(contacts)


def test_a_wave_to_195_states_runs_a_fixed_number_of_queries(registry, questionnaire):
    _contacts_for_all(registry)
    recipients_add(questionnaire=questionnaire)

    with CaptureQueriesContext(connection) as queries:
        dispatch = dispatch_create(questionnaire=questionnaire, kind="invitation",
                                   channels=["email", "fax"])

    assert dispatch.counts == {"email": 390, "fax": 195}
    assert dispatch.skipped == []
    assert Email.objects.filter(status=STATUS.queued).count() == 390
    inserts = [q for q in queries if q["sql"].startswith("INSERT")]
    print(f"\nwave of 195 States, 585 messages: {len(queries)} queries, "
          f"{len(inserts)} of them bulk inserts")
    assert len(queries) - len(inserts) <= WAVE_QUERY_CEILING_WITHOUT_INSERTS
    assert len(queries) <= WAVE_QUERY_CEILING

    few = make_questionnaire("SMALL")
    recipients_add(questionnaire=few, states=list(registry.values())[:5])
    with CaptureQueriesContext(connection) as small:
        dispatch_create(questionnaire=few, kind="invitation", channels=["email", "fax"])
    # Queries do not grow with the number of recipients, save for bulk-insert batches.
    def not_inserts(context):
        return sum(1 for q in context.captured_queries if not q["sql"].startswith("INSERT"))
    assert not_inserts(queries) == not_inserts(small)


# --- letters and admin ---------------------------------------------------------------------------


def test_fax_letters_print_one_page_per_letter_in_the_addressees_language(
        registry, questionnaire, admin_client):
    make_contacts(registry["FRA"], language="fr")
    make_contacts(registry["EGY"], language="ar")
    make_contacts(registry["GBR"], language="en", fax=False)
    recipients_add(questionnaire=questionnaire,
                   states=[registry["FRA"], registry["EGY"], registry["GBR"]])
    dispatch = dispatch_create(questionnaire=questionnaire, kind="invitation",
                               channels=["email", "fax"])

    response = admin_client.get(reverse("admin:surveys_dispatch_letters",
                                        args=[dispatch.pk, "fax"]))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="letter"') == 2  # the United Kingdom has no fax number
    assert 'lang="ar" dir="rtl"' in html and 'lang="fr" dir="ltr"' in html
    assert "break-after: page" in html
    assert "J&#x27;ai l&#x27;honneur d&#x27;inviter" in html
    assert "يشرفني أن أدعو" in html
    assert html.index('data-state="EGY"') < html.index('data-state="FRA"')  # by State name
    for token in re.findall(r"/r/([A-Za-z0-9_-]+)/", html):
        assert recipient_from_token(token).state.iso3 in ("FRA", "EGY")
    assert response["Cache-Control"].startswith("max-age=0")

    assert admin_client.get(reverse("admin:surveys_dispatch_letters",
                                    args=[dispatch.pk, "email"])).status_code == 404


def test_letters_are_for_staff_only(registry, questionnaire, client):
    dispatch = dispatch_create(questionnaire=questionnaire, kind="invitation", channels=["fax"])
    url = reverse("admin:surveys_dispatch_letters", args=[dispatch.pk, "fax"])
    assert client.get(url).status_code == 302  # to the admin login


def test_admin_send_invitation_returns_at_once_and_says_what_it_did(
        registry, questionnaire, admin_client):
    make_contacts(registry["FRA"], language="fr")
    recipients_add(questionnaire=questionnaire, states=[registry["FRA"], registry["TCD"]])
    changelist = reverse("admin:surveys_recipient_changelist")
    ids = [str(pk) for pk in Recipient.objects.values_list("pk", flat=True)]

    confirm = admin_client.post(changelist, {"action": "send_invitation",
                                             "_selected_action": ids})
    assert confirm.status_code == 200 and b"Chad" in confirm.content
    assert Dispatch.objects.count() == 0

    done = admin_client.post(changelist, {"action": "send_invitation", "_selected_action": ids,
                                          "apply": "1", "channels": ["email", "fax"],
                                          "include_copies": "on"}, follow=True)

    text = " ".join(str(m) for m in done.context["messages"])
    assert "2 e-mails queued, 1 fax ready to send" in text
    assert "Not sent — No addressee: Chad." in text
    assert Email.objects.filter(status=STATUS.queued).count() == 2
    assert django_mail.outbox == []


def test_admin_mark_faxes_as_sent_asks_for_the_time(registry, questionnaire, admin_client):
    make_contacts(registry["FRA"])
    recipients_add(questionnaire=questionnaire, states=[registry["FRA"]])
    dispatch = dispatch_create(questionnaire=questionnaire, kind="invitation", channels=["fax"])
    url = reverse("admin:surveys_dispatch_mark_sent", args=[dispatch.pk, "fax"])

    assert b"1 message is ready" in admin_client.get(url).content
    admin_client.post(url, {"at": "2008-03-18T16:40"})

    message = dispatch.messages.get()
    assert message.status == "sent"
    assert message.sent_at == timezone.make_aware(datetime.datetime(2008, 3, 18, 16, 40))


def test_admin_lists_run_a_bounded_number_of_queries(registry, questionnaire, admin_client,
                                                     django_assert_max_num_queries):
    _contacts_for_all(registry)
    recipients_add(questionnaire=questionnaire)
    dispatch = dispatch_create(questionnaire=questionnaire, kind="invitation",
                               channels=["email", "fax"])
    dispatch_create(questionnaire=questionnaire, kind="reminder", channels=["email"])

    pages = [reverse("admin:surveys_recipient_changelist"),
             reverse("admin:surveys_recipient_changelist") + "?reply=waiting",
             reverse("admin:surveys_dispatch_changelist"),
             reverse("admin:surveys_dispatch_change", args=[dispatch.pk]),
             reverse("admin:surveys_message_changelist"),
             reverse("admin:surveys_message_changelist") + "?delivery=queued&channel=email",
             reverse("admin:surveys_recipient_add_bulk")]
    for url in pages:
        with django_assert_max_num_queries(15):
            response = admin_client.get(url)
        assert response.status_code == 200, url

    dispatch_page = admin_client.get(reverse("admin:surveys_dispatch_change",
                                             args=[dispatch.pk])).content.decode()
    assert "Print fax letters" in dispatch_page and "Mark faxes as sent" in dispatch_page
    assert "Print postal letters" not in dispatch_page  # not sent by post

    # Staff can keep a note on a wave; its messages stay read-only. Post the form back
    # as a browser does, with the inline's hidden fields.
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                             dispatch_page))
    saved = admin_client.post(reverse("admin:surveys_dispatch_change", args=[dispatch.pk]),
                              {**hidden, "note": "Faxes sent from room S-1234."})
    assert saved.status_code == 302
    dispatch.refresh_from_db()
    assert dispatch.note == "Faxes sent from room S-1234."

"""The reply portal as a government official uses it, through Django's test client.

The personal link opens a session and leaves the address bar; the page speaks the
addressee's language (or one the official picks among the questionnaire's); drafts
are kept on the server; each submission is a version, recorded once however often
Submit is pressed, and acknowledged by e-mail; after the cut-off the reply is
read-only. Every bad link gets the same page, repeated bad links are slowed down, and
no link reaches the logs.
"""

from __future__ import annotations

import datetime
import logging
import re
import uuid

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from post_office.models import PRIORITY, STATUS, Email

from surveys.models import (
    Answer,
    Attachment,
    Dispatch,
    Question,
    Questionnaire,
    Recipient,
    Response,
    ResponseVersion,
)
from surveys.services.dispatch import date_in, dispatch_create
from surveys.services.recipients import recipient_regenerate_link, recipients_add
from surveys.services.tokens import recipient_token
from surveys.throttle import MAX_ATTEMPTS, RedactReplyLinks
from surveys.views.portal import ACTION_FIELD, KEY_FIELD, SESSION_LANGUAGE
from tests.surveys.test_dispatch import ensure_message_templates, make_contacts

DEADLINE = datetime.date(2099, 4, 30)
CUTOFF = datetime.date(2099, 7, 15)

TITLE = {
    "en": "Follow-up to the High-level Dialogue on International Migration and Development",
    "fr": "Suite donnée au Dialogue de haut niveau sur les migrations internationales et le "
          "développement",
    "ar": "متابعة الحوار الرفيع المستوى بشأن الهجرة الدولية والتنمية",
}
Q_USEFUL = {
    "en": "Does your Government consider the Global Forum a useful outcome? Please explain.",
    "fr": "Votre gouvernement considère-t-il le Forum mondial comme un résultat utile ? "
          "Veuillez préciser.",
    "ar": "هل تعتبر حكومتكم المنتدى العالمي نتيجة مفيدة؟ يرجى التوضيح.",
}
Q_SOLE = {
    "en": "Should the Global Forum be the sole follow-up to the Dialogue?",
    "fr": "Le Forum mondial devrait-il être le seul suivi du Dialogue ?",
    "ar": "هل ينبغي أن يكون المنتدى العالمي المتابعة الوحيدة للحوار؟",
}
Q_ANNEX = {"en": "Any supporting document", "fr": "Tout document à l'appui",
           "ar": "أي وثيقة داعمة"}


# --- helpers (also used by the browser tests) ---------------------------------------------------


def make_portal_questionnaire(code="HLD-PORTAL", *, languages=("en", "fr", "ar"),
                              deadline=DEADLINE, cutoff=CUTOFF, file_question=False,
                              status=Questionnaire.Status.OPEN) -> Questionnaire:
    """An open questionnaire in English, French and Arabic: a required text question and a
    yes / no question (and, if asked, an optional file question)."""
    questionnaire = Questionnaire.objects.create(
        code=code, title=TITLE, languages=list(languages), default_language="en",
        reference="General Assembly resolution 61/208", deadline=deadline, cutoff=cutoff,
        status=status, introduction={"en": "Please reply by the deadline.",
                                     "fr": "Merci de répondre avant la date limite."})
    Question.objects.create(questionnaire=questionnaire, order=1, code="forum_useful",
                            type=Question.Type.TEXT, required=True, text=Q_USEFUL)
    Question.objects.create(questionnaire=questionnaire, order=2, code="sole_followup",
                            type=Question.Type.YES_NO, text=Q_SOLE)
    if file_question:
        Question.objects.create(questionnaire=questionnaire, order=3, code="annex",
                                type=Question.Type.FILE, text=Q_ANNEX)
    return questionnaire


def make_recipient(questionnaire, state, *, language="en") -> tuple[Recipient, str]:
    """The State as a recipient (addressee: its Permanent Representative), and its token."""
    make_contacts(state, language=language, focal_point=False)
    recipients_add(questionnaire=questionnaire, states=[state])
    recipient = questionnaire.recipients.get(state=state)
    return recipient, recipient_token(recipient)


def open_link(client, token):
    """Open the personal link as the browser would; returns the page it lands on."""
    response = client.get(f"/r/{token}/", follow=True)
    assert response.redirect_chain == [("/reply/", 302)]
    return response


def use_english(client):
    """Choose English on the portal, as the language switcher does (the wording the
    behaviour tests below read; other tests check the French and Arabic pages)."""
    session = client.session
    session[SESSION_LANGUAGE] = "en"
    session.save()


def html_of(response) -> str:
    return response.content.decode()


def post_reply(client, action="submit", *, key=None, **answers):
    data = {ACTION_FIELD: action, KEY_FIELD: str(key or uuid.uuid4()), **answers}
    return client.post("/reply/", data)


def question_block(html, code) -> str:
    """The markup of one question (its label, error and field)."""
    match = re.search(rf'<div class="question[^"]*" id="question-{code}">(.*?)\n  </div>', html,
                      re.S)
    assert match, f"no question {code}"
    return match.group(1)


def submission_key_of(html) -> str:
    return re.search(rf'name="{KEY_FIELD}" value="([^"]+)"', html).group(1)


@pytest.fixture(autouse=True)
def _clear_throttle():
    cache.clear()  # bad-link counts must not leak from one test to the next
    yield
    cache.clear()


@pytest.fixture
def questionnaire(db):
    return make_portal_questionnaire()


@pytest.fixture
def senegal(registry, questionnaire):
    """Senegal, whose Permanent Representative reads French."""
    return make_recipient(questionnaire, registry["SEN"], language="fr")


# --- the link and the session -------------------------------------------------------------------


def test_the_link_opens_the_reply_page_and_the_token_leaves_the_address(client, senegal):
    recipient, token = senegal
    client.get("/reply/")  # a session without a recipient, before the link
    session = client.session
    session["unrelated"] = "kept"
    session.save()
    before = session.session_key

    first = client.get(f"/r/{token}/")
    assert first.status_code == 302 and first["Location"] == "/reply/"
    assert client.session.session_key != before  # a new session key: no fixation
    assert client.session["unrelated"] == "kept"

    page = client.get("/reply/")
    assert page.status_code == 200
    assert token not in html_of(page)
    assert token not in str(dict(client.session))

    submitted = post_reply(client, forum_useful="Oui.", sole_followup="no")
    assert submitted.status_code == 302 and submitted["Location"] == "/reply/received/"
    for url in ("/reply/received/", "/reply/"):
        assert token not in html_of(client.get(url))


def test_every_portal_page_forbids_caching_and_referrers(client, senegal):
    _recipient, token = senegal
    link_pages = [client.get(f"/r/{token}/"), client.get("/r/wrong/")]
    pages = [client.get("/reply/"), post_reply(client, forum_useful="Oui."),
             client.get("/reply/received/"), Client().get("/reply/")]
    for page in link_pages:
        assert page["Referrer-Policy"] == "no-referrer"  # the address holding the token
    for page in pages:
        # Never to another site; "no-referrer" would make forms fail the CSRF check.
        assert page["Referrer-Policy"] == "same-origin"
    for page in link_pages + pages:
        assert "no-store" in page["Cache-Control"]
        assert "script-src" not in page["Content-Security-Policy"]  # no script at all


def test_the_page_shows_the_states_name_the_deadline_and_the_questions(client, senegal):
    html = html_of(open_link(client, senegal[1]))
    assert re.search(r'data-testid="state-name">\s*Sénégal\s*<', html)
    assert "30 avril 2099" in html and "15 juillet 2099" in html
    assert TITLE["fr"] in html and Q_USEFUL["fr"] in html
    assert "Merci de répondre avant la date limite." in html


def test_without_the_link_the_page_asks_to_open_it_again(client, senegal):
    response = client.get("/reply/")
    assert response.status_code == 403
    assert "Please open your personal link again" in html_of(response)
    assert Q_USEFUL["fr"] not in html_of(response)


# --- language -----------------------------------------------------------------------------------


def test_the_page_opens_in_the_addressees_language(client, senegal):
    page = open_link(client, senegal[1])
    html = html_of(page)
    assert '<html lang="fr" dir="ltr">' in html
    assert Q_USEFUL["fr"] in html and Q_USEFUL["en"] not in html
    assert page["Content-Language"] == "fr"


def test_a_language_not_offered_falls_back_to_the_main_one(client, registry, questionnaire):
    _recipient, token = make_recipient(questionnaire, registry["RUS"], language="ru")
    html = html_of(open_link(client, token))
    assert '<html lang="en" dir="ltr">' in html and Q_USEFUL["en"] in html

    client.get("/reply/?language=ru")  # Russian is not offered by this questionnaire
    html = html_of(client.get("/reply/"))
    assert '<html lang="en"' in html
    assert "Русский" not in html  # nor offered in the switcher


def test_the_official_switches_to_french_and_to_arabic(client, registry, questionnaire):
    _recipient, token = make_recipient(questionnaire, registry["GBR"], language="en")
    html = html_of(open_link(client, token))
    assert '<html lang="en" dir="ltr">' in html
    # Each language named in its own script; the current one is not a link.
    assert 'hreflang="fr" dir="auto">Français</a>' in html
    assert 'hreflang="ar" dir="auto">العربية</a>' in html
    assert re.search(r'<span aria-current="true" lang="en" dir="auto">English</span>', html)

    switched = client.get("/reply/?language=fr", follow=True)
    assert switched.redirect_chain == [("/reply/", 302)]
    html = html_of(switched)
    assert Q_USEFUL["fr"] in html and "Royaume-Uni" in html

    html = html_of(client.get("/reply/?language=ar", follow=True))
    assert '<html lang="ar" dir="rtl">' in html
    assert Q_USEFUL["ar"] in html
    assert "المملكة المتحدة" in html  # the State's name in Arabic
    assert "نعم" in html  # the standard yes / no choices in Arabic


def test_a_reply_reopens_in_the_language_it_was_saved_in(client, registry, questionnaire):
    _recipient, token = make_recipient(questionnaire, registry["GBR"], language="en")
    open_link(client, token)
    client.get("/reply/?language=fr")
    post_reply(client, "draft", forum_useful="En français.")

    html = html_of(open_link(Client(), token))
    assert '<html lang="fr"' in html and "En français." in html


# --- drafts, submissions, versions --------------------------------------------------------------


def test_a_draft_is_kept_on_the_server_and_shown_on_the_next_visit(client, senegal):
    recipient, token = senegal
    open_link(client, token)
    use_english(client)  # this test reads the English wording
    saved = post_reply(client, "draft", forum_useful="Brouillon : le Forum est utile.")
    assert saved.status_code == 302 and saved["Location"] == "/reply/"
    assert "Your draft has been saved" in html_of(client.get("/reply/"))

    response = Response.objects.get(recipient=recipient)
    assert response.status == Response.Status.DRAFT
    assert not response.versions.exists()

    other_browser = Client()
    html = html_of(open_link(other_browser, token))
    assert "Brouillon : le Forum est utile." in question_block(html, "forum_useful")
    assert "not yet submitted" in html


def test_a_draft_may_leave_required_answers_empty(client, senegal):
    open_link(client, senegal[1])
    assert post_reply(client, "draft", sole_followup="yes").status_code == 302
    assert Response.objects.get(recipient=senegal[0]).answers.get(
        question__code="sole_followup").value == ["yes"]


def test_a_missing_required_answer_is_shown_beside_the_field_and_records_nothing(
        client, senegal):
    recipient, token = senegal
    open_link(client, token)
    response = post_reply(client, sole_followup="yes")

    assert response.status_code == 200
    html = html_of(response)
    block = question_block(html, "forum_useful")
    assert "Ce champ est obligatoire." in block  # in the page's language, beside the field
    assert 'aria-invalid="true"' in block
    # and in the summary at the top, linking to the field
    assert re.search(r'<div class="error-summary" role="alert".*'
                     r'href="#id_forum_useful">Question 1\s?:\s?Ce champ est obligatoire.<',
                     html, re.S)
    assert re.search(r"<title>Erreur\s:", html)  # "Error:", from Django's own catalogue
    assert 'value="yes" id="id_sole_followup_0" checked' in html  # what was typed is kept
    assert not Response.objects.filter(recipient=recipient).exists()


def test_submitting_records_version_1_and_confirms_it(client, senegal):
    recipient, token = senegal
    open_link(client, token)
    response = post_reply(client, forum_useful="Le Forum est un résultat utile.",
                          sole_followup="no")
    assert response["Location"] == "/reply/received/"

    reply = Response.objects.get(recipient=recipient)
    assert (reply.status, reply.version, reply.channel, reply.language) == (
        "submitted", 1, "portal", "fr")
    [version] = reply.versions.all()
    assert version.answers["forum_useful"]["text"] == "Le Forum est un résultat utile."
    assert version.answers["sole_followup"]["value"] == ["no"]

    html = html_of(client.get("/reply/received/"))
    assert "Votre réponse a bien été reçue" in html  # in the addressee's French
    assert re.search(r"Version 1 de la réponse \(État : Sénégal\), reçue le \d+ \w+ \d{4}",
                     html.replace("\xa0", " "))
    assert "pr@sen.example.org" in html and "mission@sen.example.org" in html


def test_an_amended_reply_is_a_new_version_and_the_first_is_kept(client, senegal):
    recipient, token = senegal
    open_link(client, token)
    use_english(client)  # this test reads the English wording
    post_reply(client, forum_useful="Première réponse.", sole_followup="no")

    html = html_of(client.get("/reply/"))
    assert "Submit amended reply" in html and "Save draft" not in html
    assert "Première réponse." in question_block(html, "forum_useful")  # prefilled
    assert 'value="no" id="id_sole_followup_1" checked' in html

    post_reply(client, forum_useful="Réponse modifiée.", sole_followup="yes")

    reply = Response.objects.get(recipient=recipient)
    assert reply.version == 2
    texts = [v.answers["forum_useful"]["text"] for v in reply.versions.order_by("number")]
    assert texts == ["Première réponse.", "Réponse modifiée."]
    assert reply.answers.get(question__code="forum_useful").text == "Réponse modifiée."
    assert re.search(r"<td>1</td>.*<td>2</td>", html_of(client.get("/reply/")), re.S)


def test_a_double_click_on_submit_records_one_version(client, senegal):
    recipient, token = senegal
    key = submission_key_of(html_of(open_link(client, token)))
    use_english(client)  # this test reads the English wording
    first = post_reply(client, key=key, forum_useful="Une fois.", sole_followup="yes")
    second = post_reply(client, key=key, forum_useful="Une fois.", sole_followup="yes")

    assert first["Location"] == second["Location"] == "/reply/received/"
    assert ResponseVersion.objects.filter(response__recipient=recipient).count() == 1
    assert Email.objects.count() == 1  # one receipt
    assert "Version 1 of the reply" in html_of(client.get("/reply/received/"))


def test_a_page_rendered_twice_gets_two_submission_keys(client, senegal):
    open_link(client, senegal[1])
    assert submission_key_of(html_of(client.get("/reply/"))) != \
        submission_key_of(html_of(client.get("/reply/")))


def test_saving_a_draft_from_a_stale_page_after_submission_changes_nothing(client, senegal):
    recipient, token = senegal
    open_link(client, token)
    use_english(client)  # this test reads the English wording
    post_reply(client, forum_useful="Soumis.", sole_followup="yes")

    response = post_reply(client, "draft", forum_useful="Brouillon tardif.")

    assert response.status_code == 200
    assert "submit the amended reply instead" in html_of(response)
    reply = Response.objects.get(recipient=recipient)
    assert reply.version == 1
    assert reply.answers.get(question__code="forum_useful").text == "Soumis."


# --- after the cut-off --------------------------------------------------------------------------


def test_after_the_cutoff_the_reply_is_read_only(client, senegal, questionnaire):
    recipient, token = senegal
    open_link(client, token)
    post_reply(client, forum_useful="Réponse finale.", sole_followup="no")
    # Past the cut-off, within the grace period that follows it (then the link stops
    # working: tests/test_tokens.py).
    cutoff = timezone.localdate() - datetime.timedelta(days=10)
    Questionnaire.objects.filter(pk=questionnaire.pk).update(
        deadline=cutoff - datetime.timedelta(days=30), cutoff=cutoff)

    html = html_of(client.get("/reply/"))
    assert "La période de réponse à ce questionnaire est close" in html
    assert f"acceptées jusqu’au {date_in('fr', cutoff)}." in html
    assert "Elle ne peut plus être modifiée." in html
    assert "Réponse finale." in html and Q_USEFUL["fr"] in html
    assert "<textarea" not in html and "<form" not in html

    refused = post_reply(client, forum_useful="Trop tard.", sole_followup="yes")
    assert refused.status_code == 403
    assert "La période de réponse à ce questionnaire est close" in html_of(refused)
    declined = client.post("/reply/decline/", {"decline-reason": "Trop tard."})
    assert declined.status_code == 302  # a submitted reply cannot be declined
    reply = Response.objects.get(recipient=recipient)
    assert reply.version == 1
    assert reply.answers.get(question__code="forum_useful").text == "Réponse finale."
    recipient.refresh_from_db()
    assert recipient.declined_on is None


def test_a_closed_questionnaire_without_a_reply_says_so(client, senegal, questionnaire):
    recipient, token = senegal
    open_link(client, token)
    use_english(client)  # this test reads the English wording
    post_reply(client, "draft", forum_useful="Brouillon jamais envoyé.")
    Questionnaire.objects.filter(pk=questionnaire.pk).update(status=Questionnaire.Status.CLOSED)

    html = html_of(client.get("/reply/"))
    assert "No reply from your Government was submitted through this page." in html
    assert "Brouillon jamais envoyé." not in html
    assert post_reply(client, forum_useful="Tard.").status_code == 403
    assert not ResponseVersion.objects.filter(response__recipient=recipient).exists()


def test_a_reply_after_the_deadline_is_still_taken_until_the_cutoff(client, senegal,
                                                                    questionnaire):
    today = timezone.localdate()
    Questionnaire.objects.filter(pk=questionnaire.pk).update(
        deadline=today - datetime.timedelta(days=3), cutoff=today + datetime.timedelta(days=30))
    open_link(client, senegal[1])
    use_english(client)  # this test reads the English wording
    html = html_of(client.get("/reply/"))
    assert "has passed, but replies are still accepted until" in html
    assert post_reply(client, forum_useful="En retard.").status_code == 302


# --- bad links ----------------------------------------------------------------------------------


def test_wrong_revoked_and_replaced_links_get_the_same_page(client, registry, questionnaire,
                                                           senegal):
    recipient, token = senegal
    _other, revoked_token = make_recipient(questionnaire, registry["MLI"], language="fr")
    Recipient.objects.filter(state=registry["MLI"]).update(link_revoked=True)
    _third, replaced_token = make_recipient(questionnaire, registry["NER"], language="fr")
    recipient_regenerate_link(recipient=questionnaire.recipients.get(state=registry["NER"]))

    pages = [client.get(f"/r/{bad}/") for bad in
             ("this-is-not-a-link", token[:-1] + ("A" if token[-1] != "A" else "B"),
              revoked_token, replaced_token, "x" * 500)]

    assert {page.status_code for page in pages} == {404}
    assert len({page.content for page in pages}) == 1
    assert "This link is not valid." in html_of(pages[0])
    assert "sessionid" not in client.cookies  # no session was opened
    assert open_link(client, token)  # the good link still works


def test_a_session_ends_when_its_link_is_revoked_or_replaced(client, senegal):
    recipient, token = senegal
    open_link(client, token)
    recipient_regenerate_link(recipient=recipient)
    response = client.get("/reply/")
    assert response.status_code == 403
    assert Q_USEFUL["fr"] not in html_of(response)

    other = Client()
    open_link(other, recipient_token(Recipient.objects.get(pk=recipient.pk)))
    Recipient.objects.filter(pk=recipient.pk).update(link_revoked=True)
    assert other.get("/reply/").status_code == 403


def test_repeated_bad_links_are_slowed_down_for_that_address_only(client, senegal):
    _recipient, token = senegal
    for _attempt in range(MAX_ATTEMPTS):
        assert client.get(f"/r/bad-{_attempt}/").status_code == 404

    blocked = client.get("/r/bad-11/")
    assert blocked.status_code == 429
    assert 0 < int(blocked["Retry-After"]) <= 600
    html = html_of(blocked)
    assert "This link is not valid." in html and "Too many attempts; try again later." in html
    assert client.get(f"/r/{token}/").status_code == 429  # no guessing through a valid one

    elsewhere = Client(REMOTE_ADDR="192.0.2.7")
    assert open_link(elsewhere, token).status_code == 200
    # X-Forwarded-For is not trusted: a script cannot pick a new address per attempt.
    assert client.get("/r/bad-12/", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429


def test_no_link_reaches_the_logs(client, senegal, caplog):
    _recipient, token = senegal
    with caplog.at_level(logging.DEBUG):
        client.get("/r/a-guessed-token-value/")
        open_link(client, token)
        post_reply(client, forum_useful="Oui.")
        client.get(f"/r/{token}/")  # a 302: the request logger stays silent
    assert "Not Found: /r/[redacted]/" in caplog.text
    assert "a-guessed-token-value" not in caplog.text
    assert token not in caplog.text


def test_the_development_servers_request_lines_are_redacted_too():
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, '"%s" %s %s',
                               ("GET /r/SECRETTOKEN/ HTTP/1.1", "302", "0"), None)
    assert RedactReplyLinks().filter(record)
    assert record.getMessage() == '"GET /r/[redacted]/ HTTP/1.1" 302 0'


# --- receipt ------------------------------------------------------------------------------------


def test_the_receipt_is_queued_in_the_replys_language_with_the_answers(client, senegal):
    open_link(client, senegal[1])
    post_reply(client, forum_useful="Le Forum est utile.", sole_followup="no")

    [email] = Email.objects.all()
    assert sorted(email.to) == ["mission@sen.example.org", "pr@sen.example.org"]
    assert email.priority == PRIORITY.medium  # queued, never sent in the request
    assert email.status == STATUS.queued
    assert email.headers["Content-Language"] == "fr"
    assert "Sénégal" in email.subject and TITLE["fr"] in email.subject
    assert "(version 1)" in email.subject
    assert Q_USEFUL["fr"] in email.message and "Le Forum est utile." in email.message
    assert Q_SOLE["fr"] in email.message and "Non" in email.message
    assert "15 juillet 2099" in email.message
    assert 'dir="ltr"' in email.html_message and "Le Forum est utile." in email.html_message
    assert senegal[1] not in email.message  # the receipt carries no link


def test_an_arabic_receipt_reads_right_to_left(client, registry, questionnaire):
    _recipient, token = make_recipient(questionnaire, registry["EGY"], language="ar")
    open_link(client, token)
    post_reply(client, forum_useful="نعم، المنتدى مفيد.", sole_followup="yes")
    [email] = Email.objects.all()
    assert email.headers["Content-Language"] == "ar"
    assert '<html lang="ar" dir="rtl">' in email.html_message
    assert Q_USEFUL["ar"] in email.message and "نعم، المنتدى مفيد." in email.message


def test_without_any_address_the_confirmation_says_no_receipt_was_sent(client, registry,
                                                                       questionnaire):
    recipient, token = make_recipient(questionnaire, registry["TUV"])
    recipient.state.contacts.update(email="")
    open_link(client, token)
    post_reply(client, forum_useful="Yes.")
    assert not Email.objects.exists()
    assert "no receipt could be sent" in html_of(client.get("/reply/received/"))


# --- declining ----------------------------------------------------------------------------------


def test_declining_records_the_date_and_the_state_may_still_reply(client, senegal):
    recipient, token = senegal
    open_link(client, token)
    use_english(client)  # this test reads the English wording
    response = client.post("/reply/decline/", {"decline-reason": "Pas de données."},
                           follow=True)
    assert response.redirect_chain == [("/reply/declined/", 302)]
    assert "Your answer has been recorded" in html_of(response)

    recipient.refresh_from_db()
    assert recipient.declined_on == timezone.localdate()
    assert recipient.decline_note == "Pas de données."

    html = html_of(client.get("/reply/"))
    assert "informed the secretariat that it will not reply" in html
    assert "We will not reply" not in html  # already recorded
    post_reply(client, forum_useful="Finalement, oui.")
    assert Response.objects.get(recipient=recipient).status == Response.Status.SUBMITTED


def test_a_state_that_declined_gets_no_more_reminders(client, senegal, questionnaire):
    ensure_message_templates()
    open_link(client, senegal[1])
    client.post("/reply/decline/", {"decline-reason": ""})

    dispatch = dispatch_create(questionnaire=questionnaire, kind=Dispatch.Kind.REMINDER,
                               channels=["email"])
    assert dispatch.reached == 0
    assert "Declined to reply: Senegal." in dispatch.note


# --- one State, one reply -----------------------------------------------------------------------


def test_one_states_session_never_shows_another_states_reply(registry, questionnaire):
    _sen, sen_token = make_recipient(questionnaire, registry["SEN"], language="fr")
    _mex, mex_token = make_recipient(questionnaire, registry["MEX"], language="en")
    senegal, mexico = Client(), Client()

    open_link(senegal, sen_token)
    post_reply(senegal, "draft", forum_useful="Réponse du Sénégal.")
    open_link(mexico, mex_token)
    post_reply(mexico, "draft", forum_useful="Answer of Mexico.")

    sen_html, mex_html = html_of(senegal.get("/reply/")), html_of(mexico.get("/reply/"))
    assert "Réponse du Sénégal." in sen_html and "Answer of Mexico." not in sen_html
    assert "Answer of Mexico." in mex_html and "Réponse du Sénégal." not in mex_html

    # One browser opening the second link: it now sees only the second State's reply.
    html = html_of(open_link(senegal, mex_token))
    assert "Answer of Mexico." in html and "Réponse du Sénégal." not in html
    assert re.search(r'data-testid="state-name">\s*Mexico\s*<', html)


# --- attachments --------------------------------------------------------------------------------


def test_files_are_stored_privately_and_no_portal_address_serves_them(client, registry,
                                                                      settings):
    questionnaire = make_portal_questionnaire("HLD-FILES", file_question=True)
    recipient, token = make_recipient(questionnaire, registry["SEN"], language="fr")
    open_link(client, token)
    use_english(client)  # this test reads the English wording
    response = client.post("/reply/", {
        ACTION_FIELD: "submit", KEY_FIELD: str(uuid.uuid4()), "forum_useful": "Voir annexe.",
        "annex": SimpleUploadedFile("annexe.pdf", b"%PDF-1.4 annex", "application/pdf"),
        "portal-letter": SimpleUploadedFile("Note verbale.pdf", b"%PDF-1.4 letter",
                                            "application/pdf")})
    assert response.status_code == 302

    annex, letter = Attachment.objects.filter(response__recipient=recipient).order_by("pk")
    assert (annex.question.code, annex.original_name) == ("annex", "annexe.pdf")
    assert (letter.question, letter.original_name) == (None, "Note verbale.pdf")
    for attachment in (annex, letter):
        assert "/private/attachments/" in attachment.file.path
        with attachment.file.open("rb") as stored:
            assert stored.read().startswith(b"%PDF")
        assert client.get(f"/media/private/{attachment.file.name}").status_code == 404
        assert client.get(f"/media/{attachment.file.name}").status_code == 404

    html = html_of(client.get("/reply/"))
    assert "File already sent: annexe.pdf" in html and "Note verbale.pdf" in html


def test_a_file_of_the_wrong_kind_is_refused_beside_the_field(client, registry):
    questionnaire = make_portal_questionnaire("HLD-FILES", file_question=True)
    recipient, token = make_recipient(questionnaire, registry["GBR"])
    open_link(client, token)
    response = client.post("/reply/", {
        ACTION_FIELD: "submit", KEY_FIELD: str(uuid.uuid4()), "forum_useful": "Yes.",
        "annex": SimpleUploadedFile("tool.exe", b"MZ", "application/octet-stream")})
    assert response.status_code == 200
    html = html_of(response)
    assert "not allowed" in question_block(html, "annex")
    assert "Files you chose were not kept: please choose them again." in html
    assert not Response.objects.filter(recipient=recipient).exists()
    assert not Attachment.objects.exists()


def test_a_file_larger_than_the_limit_is_refused(client, registry, settings):
    settings.INQUIRY_MAX_UPLOAD_MB = 0.001  # about 1 KB
    questionnaire = make_portal_questionnaire("HLD-FILES")
    recipient, token = make_recipient(questionnaire, registry["GBR"])
    open_link(client, token)
    response = client.post("/reply/", {
        ACTION_FIELD: "draft", KEY_FIELD: str(uuid.uuid4()),
        "portal-letter": SimpleUploadedFile("letter.pdf", b"%PDF" + b"0" * 5000)})
    assert "The file is too large" in html_of(response)
    assert not Attachment.objects.exists()


# --- speed --------------------------------------------------------------------------------------


def test_the_reply_page_runs_a_fixed_number_of_queries(client, registry,
                                                       django_assert_max_num_queries):
    questionnaire = make_portal_questionnaire("HLD-LONG", file_question=True)
    for order in range(10, 40):
        Question.objects.create(questionnaire=questionnaire, order=order, code=f"q{order}",
                                type=Question.Type.SINGLE if order % 2 else Question.Type.TEXT,
                                text={"en": f"Question {order}"})
    _recipient, token = make_recipient(questionnaire, registry["GBR"])
    open_link(client, token)
    post_reply(client, forum_useful="Yes.", **{f"q{n}": "x" for n in range(10, 40, 2)})
    with django_assert_max_num_queries(16):
        assert client.get("/reply/").status_code == 200


def _submission_queries(client, registry, code, iso3, extra_questions):
    questionnaire = make_portal_questionnaire(code)
    for order in range(10, 10 + extra_questions):
        question = Question.objects.create(
            questionnaire=questionnaire, order=order, code=f"q{order}",
            type=Question.Type.SINGLE if order % 2 else Question.Type.TEXT,
            text={"en": f"Question {order}"})
        if order % 2:
            question.choices.create(value="a", label={"en": "A"}, order=1)
    recipient, token = make_recipient(questionnaire, registry[iso3])
    client.cookies.clear()
    open_link(client, token)
    answers = {f"q{n}": "a" if n % 2 else "Some text." for n in range(10, 10 + extra_questions)}
    with CaptureQueriesContext(connection) as queries:
        response = post_reply(client, forum_useful="Yes.", sole_followup="no", **answers)
    assert response.status_code == 302
    return recipient, len(queries)


def test_a_submission_runs_as_many_queries_for_2_questions_as_for_32(client, registry):
    """The answers and their history are written in bulk: under load, each question
    saved one by one would cost every submission two more statements."""
    small, few = _submission_queries(client, registry, "HLD-SHORT", "GBR", 0)
    large, many = _submission_queries(client, registry, "HLD-LONG", "FRA", 30)
    assert many == few
    assert few <= 22
    # Every answer still has its history record, as one saved by one would.
    answers = Answer.objects.filter(response__recipient=large)
    assert answers.count() == 32
    history = Answer.history.filter(response__recipient=large)
    assert sorted(history.values_list("question_id", "history_type")) == sorted(
        (question_id, "+") for question_id in answers.values_list("question_id", flat=True))
    version = ResponseVersion.objects.get(response__recipient=large)
    assert version.answers["q11"] == {"text": "A", "value": ["a"]}
    assert version.answers["q10"] == {"text": "Some text.", "value": None}

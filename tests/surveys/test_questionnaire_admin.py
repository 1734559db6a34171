"""The questionnaire admin as staff use it: lists, editing in six languages, preview, XLSForm.

Requests go through Django's test client with a logged-in superuser (``admin_client``)
or a staff member with only some permissions, as the secretariat's roles would be.
"""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from surveys.models import Question, Questionnaire, Recipient, Section
from surveys.services.tokens import recipient_token_reset
from tests.surveys.test_questionnaires import ALL, canonical, make_questionnaire

QUESTION_TEXT = {
    "ar": "هل المنتدى العالمي نتيجة مفيدة؟", "zh-hans": "全球论坛是否是有益的成果？",
    "en": "Is the Global Forum a useful outcome?",
    "fr": "Le Forum mondial est-il un résultat utile ?",
    "ru": "Является ли Глобальный форум полезным итогом?",
    "es": "¿Es el Foro Mundial un resultado útil?",
}


def staff(*codenames) -> User:
    user = User.objects.create_user("officer", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def url(name, *args):
    return reverse(f"admin:surveys_questionnaire_{name}", args=args)


def escaped(text):
    """How Django's templates write ``text`` (apostrophes and quotes escaped)."""
    from django.utils.html import escape

    return escape(text)


# --- lists and pages ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_changelist_and_change_page(admin_client):
    questionnaire = make_questionnaire()
    response = admin_client.get(url("changelist"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "HLD-2008" in content and "Follow-up to the High-level Dialogue" in content
    assert url("import_xlsform") in content

    response = admin_client.get(url("change", questionnaire.pk))
    assert response.status_code == 200
    content = response.content.decode()
    for tool in ("Status board", "Call list", "Download XLSForm", "History"):
        assert tool in content
    assert url("status", questionnaire.pk) in content and url("calls", questionnaire.pk) in content
    for language, name in [("ar", "Arabic"), ("zh-hans", "Chinese"), ("fr", "French")]:
        assert url("preview", questionnaire.pk, language) in content
        assert f"Preview ({name})" in content
    assert 'type="checkbox" name="languages" value="zh-hans"' in content
    assert "Последующая деятельность" in content  # the Russian title box
    assert reverse("admin:surveys_question_change",
                   args=[questionnaire.questions.get(code="ideas").pk]) in content


@pytest.mark.django_db
def test_changelist_query_count_does_not_grow(admin_client, registry):
    def count_queries():
        with CaptureQueriesContext(connection) as context:
            assert admin_client.get(url("changelist")).status_code == 200
        return len(context.captured_queries)

    first = make_questionnaire("Q-0")
    states = list(registry.values())
    for state in states[:3]:
        recipient = Recipient(questionnaire=first, state=state)
        recipient_token_reset(recipient, save=False)
        recipient.save()
    with_one = count_queries()
    for number in range(1, 10):
        questionnaire = make_questionnaire(f"Q-{number}")
        recipient = Recipient(questionnaire=questionnaire, state=states[number])
        recipient_token_reset(recipient, save=False)
        recipient.save()
    with_ten = count_queries()
    assert with_one == with_ten

    content = admin_client.get(url("changelist")).content.decode()
    rows = re.findall(r'<td class="field-question_count">(\d+)</td>'
                      r'<td class="field-recipient_count">(\d+)</td>', content)
    assert sorted(rows) == [("8", "1")] * 9 + [("8", "3")]


@pytest.mark.django_db
def test_change_page_query_count_does_not_grow_with_questions(admin_client):
    questionnaire = make_questionnaire()

    def count_queries():
        with CaptureQueriesContext(connection) as context:
            assert admin_client.get(url("change", questionnaire.pk)).status_code == 200
        return len(context.captured_queries)

    before = count_queries()
    section = Section.objects.create(questionnaire=questionnaire, code="more", order=9)
    for number in range(20):
        Question.objects.create(questionnaire=questionnaire, section=section, order=number,
                                code=f"extra_{number}", text={"en": f"Extra {number}"})
    assert count_queries() == before


@pytest.mark.django_db
def test_add_a_questionnaire_with_a_section_and_a_yes_no_question(admin_client):
    def boxes(name, **texts):
        return {f"{name}_{i}": texts.get(code.replace("-", "_"), "")
                for i, code in enumerate(ALL)}

    data = {
        "code": "NEW-1", "reference": "A/RES/61/208", "languages": ["en", "fr", "ar"],
        "default_language": "en", "deadline": "2008-04-30", "cutoff": "2008-07-15",
        "sent_on": "", "max_reminders": "3",
        **boxes("title", en="A new questionnaire", fr="Un nouveau questionnaire"),
        **boxes("introduction"),
        "reminder_rules-TOTAL_FORMS": "1", "reminder_rules-INITIAL_FORMS": "0",
        "reminder_rules-0-days_from_deadline": "-7",
        "sections-TOTAL_FORMS": "0", "sections-INITIAL_FORMS": "0",
        "questions-TOTAL_FORMS": "1", "questions-INITIAL_FORMS": "0",
        "questions-0-order": "1", "questions-0-code": "agree", "questions-0-type": "yes_no",
        "questions-0-required": "on", "questions-0-section": "",
        **{f"questions-0-{k}": v for k, v in boxes("text", en="Agree?", fr="D'accord ?").items()},
        **{f"questions-0-{k}": v for k, v in boxes("help_text").items()},
    }
    response = admin_client.post(url("add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if \
        response.context else response
    questionnaire = Questionnaire.objects.get(code="NEW-1")
    assert questionnaire.languages == ["ar", "en", "fr"]  # stored in the UN's order
    assert questionnaire.title == {"en": "A new questionnaire", "fr": "Un nouveau questionnaire"}
    assert questionnaire.introduction == {}
    question = questionnaire.questions.get()
    assert question.text == {"en": "Agree?", "fr": "D'accord ?"} and question.required
    assert list(question.choices.values_list("value", flat=True)) == ["yes", "no", "no_opinion"]
    assert list(questionnaire.reminder_rules.values_list("days_from_deadline", flat=True)) == [-7]


@pytest.mark.django_db
def test_add_refuses_a_main_language_not_offered_and_a_title_missing_in_it(admin_client):
    data = {"code": "BAD", "languages": ["fr"], "default_language": "en", "max_reminders": "3",
            "title_3": "Titre", "deadline": "2008-04-30", "cutoff": "2008-04-01",
            "reminder_rules-TOTAL_FORMS": "0", "reminder_rules-INITIAL_FORMS": "0",
            "sections-TOTAL_FORMS": "0", "sections-INITIAL_FORMS": "0",
            "questions-TOTAL_FORMS": "0", "questions-INITIAL_FORMS": "0"}
    response = admin_client.post(url("add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "default_language" in errors and "title" in errors
    # The model reports one rule at a time: with the languages right, the dates' turn.
    response = admin_client.post(url("add"), {**data, "default_language": "fr"})
    assert list(response.context["adminform"].form.errors) == ["cutoff"]
    assert not Questionnaire.objects.filter(code="BAD").exists()


@pytest.mark.django_db
def test_question_page_edits_choices(admin_client):
    questionnaire = make_questionnaire()
    question = questionnaire.questions.get(code="ideas")
    response = admin_client.get(reverse("admin:surveys_question_change", args=[question.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Periodic dialogues" in content and "حوارات دورية" in content
    assert admin_client.get(reverse("admin:surveys_question_changelist")).status_code == 200


# --- preview -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ALL)
def test_preview_in_each_language(admin_client, language):
    questionnaire = make_questionnaire()
    response = admin_client.get(url("preview", questionnaire.pk, language))
    assert response.status_code == 200
    content = response.content.decode()
    assert escaped(QUESTION_TEXT[language]) in content
    assert f'lang="{language}"' in content
    assert ('dir="rtl"' in content) == (language == "ar")
    assert "disabled" in content and 'type="date"' in content
    assert "<form" not in content.split('class="inquiry-preview"')[1]  # nothing to submit


@pytest.mark.django_db
def test_preview_dates_and_fixed_texts_in_the_language(admin_client):
    questionnaire = make_questionnaire()
    content = admin_client.get(url("preview", questionnaire.pk, "fr")).content.decode()
    assert "30 avril 2008" in content
    assert "Le Forum mondial" in content and "Sans opinion" in content


@pytest.mark.django_db
def test_preview_of_a_language_not_offered_is_not_found(admin_client):
    questionnaire = make_questionnaire(languages=["en", "fr"])
    assert admin_client.get(url("preview", questionnaire.pk, "ru")).status_code == 404
    assert admin_client.get(url("preview", 999999, "en")).status_code == 404


@pytest.mark.django_db
def test_custom_screens_check_permissions(client):
    questionnaire = make_questionnaire()
    client.force_login(staff())  # staff, but no permission on questionnaires
    for name, args in [("preview", [questionnaire.pk, "en"]), ("xlsform", [questionnaire.pk]),
                       ("status", [questionnaire.pk]), ("status_export", [questionnaire.pk]),
                       ("calls", [questionnaire.pk]), ("import_xlsform", [])]:
        assert client.get(url(name, *args)).status_code == 403, name


@pytest.mark.django_db
def test_view_permission_is_enough_to_preview_and_download_but_not_to_import(client):
    questionnaire = make_questionnaire()
    client.force_login(staff("view_questionnaire"))
    assert client.get(url("preview", questionnaire.pk, "es")).status_code == 200
    assert client.get(url("xlsform", questionnaire.pk)).status_code == 200
    assert client.get(url("import_xlsform")).status_code == 403
    assert url("import_xlsform") not in client.get(url("changelist")).content.decode()


# --- XLSForm -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_xlsform_download_is_a_valid_workbook(admin_client):
    questionnaire = make_questionnaire()
    response = admin_client.get(url("xlsform", questionnaire.pk))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="HLD-2008.xlsx"' in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["survey", "choices", "settings"]
    assert workbook["survey"]["A1"].value == "type"


@pytest.mark.django_db
def test_import_through_the_admin_creates_a_questionnaire(admin_client, tmp_path):
    original = make_questionnaire()
    content = admin_client.get(url("xlsform", original.pk)).content
    path = tmp_path / "round.xlsx"
    path.write_bytes(content)

    assert admin_client.get(url("import_xlsform")).status_code == 200
    with path.open("rb") as upload:
        response = admin_client.post(url("import_xlsform"), {"file": upload, "code": "HLD-2012"},
                                     follow=True)
    assert response.status_code == 200
    created = Questionnaire.objects.get(code="HLD-2012")
    assert response.redirect_chain[-1][0] == url("change", created.pk)
    assert "8 questions" in response.content.decode()
    assert canonical(created) == canonical(original)


@pytest.mark.django_db
def test_import_through_the_admin_shows_every_problem_and_creates_nothing(admin_client, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "survey"
    for row in [["type", "name", "label::English (en)", "relevant"],
                ["text", "a", "A", "${b} = 1"], ["geopoint", "b", "Where?", ""]]:
        sheet.append(row)
    path = tmp_path / "bad.xlsx"
    workbook.save(path)
    with path.open("rb") as upload:
        response = admin_client.post(url("import_xlsform"), {"file": upload, "code": "BAD"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Nothing was imported: the file has 2 problems." in content
    assert "survey sheet, row 2: column “relevant”" in content
    assert "survey sheet, row 3: location questions" in content
    assert not Questionnaire.objects.filter(code="BAD").exists()


@pytest.mark.django_db
def test_import_warnings_are_shown(admin_client, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "survey"
    for row in [["type", "name", "label::English (en)"], ["note", "n", "Hello"],
                ["text", "q", "Q"]]:
        sheet.append(row)
    path = tmp_path / "note.xlsx"
    workbook.save(path)
    with path.open("rb") as upload:
        response = admin_client.post(url("import_xlsform"), {"file": upload, "code": "NOTE"},
                                     follow=True)
    assert "row 2: notes" in response.content.decode()
    assert Questionnaire.objects.filter(code="NOTE").exists()


# --- actions -----------------------------------------------------------------------------------


def run_action(client, action, *questionnaires):
    return client.post(url("changelist"), {
        "action": action, "_selected_action": [q.pk for q in questionnaires]}, follow=True)


@pytest.mark.django_db
def test_copy_action_creates_a_new_round_and_links_to_it(admin_client):
    original = make_questionnaire()
    response = run_action(admin_client, "copy_for_new_round", original)
    copy = Questionnaire.objects.get(code="HLD-2008-copy")
    assert canonical(copy) == canonical(original) | {"sent_on": None, "deadline": None,
                                                     "cutoff": None}
    assert copy.copied_from == original
    assert url("change", copy.pk) in response.content.decode()
    run_action(admin_client, "copy_for_new_round", original)
    assert Questionnaire.objects.filter(code="HLD-2008-copy-2").exists()


@pytest.mark.django_db
def test_open_and_close_actions(admin_client):
    ready = make_questionnaire()
    empty = Questionnaire.objects.create(code="EMPTY", title={"en": "Empty"}, languages=["en"])
    response = run_action(admin_client, "open_for_replies", ready, empty)
    content = response.content.decode()
    assert "HLD-2008 is open for replies." in content
    assert "EMPTY cannot open" in content
    ready.refresh_from_db()
    empty.refresh_from_db()
    assert (ready.status, empty.status) == ("open", "draft")

    response = run_action(admin_client, "close_for_replies", ready, empty)
    ready.refresh_from_db()
    assert ready.status == "closed"
    assert "EMPTY is not open" in response.content.decode()


@pytest.mark.django_db
def test_open_action_warns_about_missing_translations(admin_client):
    questionnaire = make_questionnaire(languages=["en", "fr"])
    Question.objects.filter(questionnaire=questionnaire, code="views").update(
        text={"en": "Other views"})
    content = run_action(admin_client, "open_for_replies", questionnaire).content.decode()
    assert "question views has no text in French" in content

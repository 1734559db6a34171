"""The codebook as staff keep it: a sheet in and out, the admin list, the commands.

Every import here reads a real .xlsx file written with openpyxl (or one the export
wrote); a sheet with one bad row writes nothing and names every bad row.
"""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from analysis.models import Code, Coding
from analysis.services.codebook import (
    COLUMNS,
    codebook_export_xlsx,
    codebook_import_xlsx,
    codes_in_tree_order,
)
from surveys.models import Question
from surveys.services.recipients import recipients_add
from surveys.services.responses import response_save
from tests.surveys.test_dispatch import make_questionnaire

QUESTIONS = {
    "forum_useful": {
        "en": "Is the Global Forum a useful outcome of the Dialogue?",
        "fr": "Le Forum mondial est-il un résultat utile du Dialogue ?",
        "ar": "هل المنتدى العالمي نتيجة مفيدة للحوار؟",
        "zh-hans": "全球论坛是否是对话的有益成果？",
    },
    "forum_sole_followup": {
        "en": "Should the Forum be the sole follow-up to the Dialogue?",
        "fr": "Le Forum devrait-il être la seule suite donnée au Dialogue ?",
        "ar": "هل ينبغي أن يكون المنتدى المتابعة الوحيدة للحوار؟",
        "zh-hans": "论坛是否应成为对话的唯一后续行动？",
    },
    "ga_followup": {
        "en": "What follow-up should the General Assembly undertake?",
        "fr": "Quelle suite l'Assemblée générale devrait-elle donner ?",
        "ar": "ما هي المتابعة التي ينبغي أن تضطلع بها الجمعية العامة؟",
        "zh-hans": "大会应采取哪些后续行动？",
    },
}

# key, label, definition, parent, exclusive_group, question, order, keywords
SHEET = [
    ["forum", "The Global Forum", "Views on the Forum.", "", "", "", 1, ""],
    ["useful", "The Forum is a useful outcome", "=The reply calls it useful.", "forum",
     "forum_outcome", "forum_useful", 2, "useful outcome; résultat utile; نتيجة مفيدة; 有益成果"],
    ["no_opinion", "No opinion, or not a formal outcome", "-", "forum", "forum_outcome",
     "forum_useful", 3, "no opinion; sans opinion"],
    ["sole_followup", "The Forum should be the sole follow-up", "", "forum", "",
     "forum_sole_followup", 4, "sole follow-up; seule suite"],
    ["ga_agenda", "Keep the item on the GA agenda", "+ periodic review", "", "", "ga_followup",
     5, "agenda"],
]


def make_survey(code="HLD-2008", questions=QUESTIONS):
    """A questionnaire with free-text questions in four languages."""
    questionnaire = make_questionnaire(code)
    for order, (question_code, text) in enumerate(questions.items(), start=1):
        Question.objects.create(questionnaire=questionnaire, code=question_code, order=order,
                                type=Question.Type.TEXT, text=text)
    return questionnaire


def workbook_bytes(rows, headers=COLUMNS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text typed as '=… in Excel, not a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_sheet(questionnaire, rows, *, headers=COLUMNS, tmp_path=None, **kwargs):
    content = workbook_bytes(rows, headers)
    if tmp_path is not None:  # through a real file on disk
        path = tmp_path / "codebook.xlsx"
        path.write_bytes(content)
        return codebook_import_xlsx(questionnaire=questionnaire, source=path, **kwargs)
    return codebook_import_xlsx(questionnaire=questionnaire, source=content,
                                filename="codebook.xlsx", **kwargs)


def snapshot(questionnaire) -> dict[str, tuple]:
    """Every code as (label, definition, parent key, group, question code, order, keywords)."""
    return {c.key: (c.label, c.definition, c.parent.key if c.parent else "", c.exclusive_group,
                    c.question.code if c.question else "", c.order, tuple(c.keywords))
            for c in Code.objects.filter(questionnaire=questionnaire)
            .select_related("parent", "question")}


def make_codebook(questionnaire):
    outcome = import_sheet(questionnaire, SHEET)
    assert outcome.ok and outcome.written, outcome.problems
    return {c.key: c for c in Code.objects.filter(questionnaire=questionnaire)}


def submitted_reply(questionnaire, state, answers, *, language="en", user=None):
    """A submitted reply of ``state`` (made a recipient if needed)."""
    recipient = questionnaire.recipients.filter(state=state).first()
    if recipient is None:
        recipients_add(questionnaire=questionnaire, states=[state])
        recipient = questionnaire.recipients.get(state=state)
    return response_save(recipient=recipient, data=answers, language=language, submit=True,
                         user=user).response


# --- import -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_creates_the_tree_with_groups_questions_and_keywords(tmp_path):
    questionnaire = make_survey()
    outcome = import_sheet(questionnaire, SHEET, tmp_path=tmp_path)
    assert outcome.ok and outcome.written
    assert (outcome.total, outcome.new, outcome.updated) == (5, 5, 0)
    codes = snapshot(questionnaire)
    assert codes["useful"] == (
        "The Forum is a useful outcome", "=The reply calls it useful.", "forum", "forum_outcome",
        "forum_useful", 2, ("useful outcome", "résultat utile", "نتيجة مفيدة", "有益成果"))
    assert codes["forum"][2:5] == ("", "", "")
    assert codes["no_opinion"][1] == "-"
    tree = [(c.key, depth) for c, depth in codes_in_tree_order(
        Code.objects.filter(questionnaire=questionnaire))]
    assert tree == [("forum", 0), ("useful", 1), ("no_opinion", 1), ("sole_followup", 1),
                    ("ga_agenda", 0)]


@pytest.mark.django_db
def test_import_updates_by_key_and_a_missing_column_changes_nothing():
    questionnaire = make_survey()
    make_codebook(questionnaire)
    outcome = import_sheet(questionnaire, [["useful", "Useful outcome"],
                                           ["more_time", "Give the Forum more time"]],
                           headers=["Key", "Label "])
    assert outcome.ok and (outcome.new, outcome.updated) == (1, 1)
    codes = snapshot(questionnaire)
    # Only the label changed: the parent, group, question and keywords stay.
    assert codes["useful"][0] == "Useful outcome"
    assert codes["useful"][2:5] == ("forum", "forum_outcome", "forum_useful")
    assert codes["useful"][6][0] == "useful outcome"
    assert codes["more_time"][2:] == ("", "", "", 2, ())
    assert len(codes) == 6

    again = import_sheet(questionnaire, [["useful", "Useful outcome"]], headers=["key", "label"])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)


@pytest.mark.django_db
def test_a_sheet_with_bad_rows_imports_nothing_and_lists_every_bad_row():
    questionnaire = make_survey()
    make_codebook(questionnaire)
    before = snapshot(questionnaire)
    rows = [
        ["useful", "Changed label", "", "forum", "", "", 1, ""],  # fine, but not written
        ["orphan", "Orphan", "", "nowhere", "", "", 2, ""],  # row 2: unknown parent
        ["a", "A", "", "b", "", "", 3, ""],  # rows 3 and 4: a loop
        ["b", "B", "", "a", "", "", 4, ""],
        ["useful", "Twice", "", "", "", "", 5, ""],  # row 5: duplicate key
        ["other_q", "Other question", "", "", "", "no_such_question", 6, ""],  # row 6
        ["bad key!", "Bad key", "", "", "", "", 7, ""],  # row 7
        ["no_label", "", "", "", "", "", "first", ""],  # row 8: no label, order not a number
        ["self", "Self", "", "self", "", "", 9, ""],  # row 9: own parent
    ]
    outcome = import_sheet(questionnaire, rows)
    assert not outcome.ok and not outcome.written
    problems = {p.row: " ".join(p.messages) for p in outcome.problems}
    assert sorted(problems) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert "Unknown parent “nowhere”" in problems[2]
    assert "loop: a → b → a" in problems[3] and "loop: b → a → b" in problems[4]
    assert "“useful” is used twice (first at 1)" in problems[5]
    assert "No question “no_such_question” in HLD-2008" in problems[6]
    assert "Key “bad key!”" in problems[7]
    assert "label is missing" in problems[8] and "“first” is not a whole number" in problems[8]
    assert "own parent" in problems[9]
    assert "line 3 of the sheet" in str(outcome.problems[0])
    assert outcome.summary().startswith("Nothing imported")
    assert snapshot(questionnaire) == before


@pytest.mark.django_db
def test_a_sheet_without_the_required_columns_or_not_a_workbook_is_refused():
    questionnaire = make_survey()
    outcome = import_sheet(questionnaire, [["useful"]], headers=["key"])
    assert not outcome.ok and "no column “label”" in outcome.file_errors[0]
    outcome = codebook_import_xlsx(questionnaire=questionnaire, source=b"not a workbook",
                                   filename="codebook.xlsx")
    assert not outcome.ok and "not an Excel workbook" in outcome.file_errors[0]
    assert not Code.objects.exists()


@pytest.mark.django_db
def test_replace_removes_unlisted_codes_but_never_codes_in_use(registry, django_user_model):
    questionnaire = make_survey()
    codes = make_codebook(questionnaire)
    rows = [r for r in SHEET if r[0] != "ga_agenda"]
    outcome = import_sheet(questionnaire, rows, replace=True)
    assert outcome.ok and "ga_agenda" in outcome.warnings[0]
    assert "ga_agenda" not in snapshot(questionnaire)

    response = submitted_reply(questionnaire, registry["FRA"],
                               {"forum_sole_followup": "It should be the sole follow-up."})
    coder = django_user_model.objects.create_user("coder")
    Coding.objects.create(answer=response.answers.get(), code=codes["sole_followup"], coder=coder)
    outcome = import_sheet(questionnaire, [r for r in rows if r[0] != "sole_followup"],
                           replace=True)
    assert not outcome.ok
    assert "“sole_followup” is not in the file but has 1 coding" in outcome.file_errors[0]
    assert "sole_followup" in snapshot(questionnaire)


# --- export -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_is_formula_safe_with_a_bold_frozen_header_and_imports_back_the_same():
    questionnaire = make_survey()
    make_codebook(questionnaire)
    content = codebook_export_xlsx(questionnaire=questionnaire)
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook["codebook"]
    assert [c.value for c in sheet[1]] == COLUMNS
    assert all(c.font.bold for c in sheet[1]) and sheet.freeze_panes == "A2"
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert list(rows) == ["forum", "useful", "no_opinion", "sole_followup", "ga_agenda"]
    assert rows["useful"][2] == "'=The reply calls it useful."  # formula injection defused
    assert rows["no_opinion"][2] == "'-" and rows["ga_agenda"][2] == "'+ periodic review"
    assert rows["useful"][7] == "useful outcome; résultat utile; نتيجة مفيدة; 有益成果"
    assert [c.value for c in workbook["questions"]["A"]][1:] == list(QUESTIONS)

    # The same codebook, read back: unchanged in place, identical in a new round.
    same = codebook_import_xlsx(questionnaire=questionnaire, source=content,
                                filename="x.xlsx")
    assert same.ok and (same.new, same.updated, same.unchanged) == (0, 0, 5)
    next_round = make_survey("HLD-2010")
    copied = codebook_import_xlsx(questionnaire=next_round, source=content, filename="x.xlsx")
    assert copied.ok and copied.new == 5
    assert snapshot(next_round) == snapshot(questionnaire)


# --- admin --------------------------------------------------------------------------------------


def staff(*codenames, username="officer") -> User:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="analysis",
                                                        codename__in=codenames))
    return user


@pytest.mark.django_db
def test_admin_list_shows_the_codebook_with_final_codings(admin_client, registry, admin_user):
    questionnaire = make_survey()
    codes = make_codebook(questionnaire)
    response = submitted_reply(questionnaire, registry["SEN"],
                               {"forum_useful": "A useful outcome."})
    answer = response.answers.get()
    Coding.objects.create(answer=answer, code=codes["useful"], coder=admin_user, final=True)
    Coding.objects.create(answer=answer, code=codes["no_opinion"], coder=admin_user)  # not final
    url = reverse("admin:analysis_code_changelist")
    page = admin_client.get(f"{url}?questionnaire__id__exact={questionnaire.pk}")
    assert page.status_code == 200
    content = page.content.decode()
    for text in ("The Forum is a useful outcome", "forum_outcome", "forum_useful",
                 reverse("admin:analysis_code_export_xlsx", args=[questionnaire.pk]),
                 reverse("admin:analysis_code_export_qdc", args=[questionnaire.pk]),
                 reverse("admin:analysis_coding_replies", args=[questionnaire.pk]),
                 reverse("admin:analysis_code_import")):
        assert text in content
    rows = {r.key: r for r in page.context["cl"].result_list}
    assert rows["useful"]._final == 1 and rows["no_opinion"]._final == 0
    assert 'name="form-0-order"' in content  # the order is edited in the list

    found = admin_client.get(f"{url}?q=sole")
    assert [r.key for r in found.context["cl"].result_list] == ["sole_followup"]
    question = questionnaire.questions.get(code="forum_useful")
    by_question = admin_client.get(
        f"{url}?questionnaire__id__exact={questionnaire.pk}&question={question.pk}")
    assert {r.key for r in by_question.context["cl"].result_list} == {"useful", "no_opinion"}


@pytest.mark.django_db
def test_admin_list_runs_a_fixed_number_of_queries(admin_client):
    questionnaire = make_survey()
    url = f"{reverse('admin:analysis_code_changelist')}?questionnaire__id__exact={questionnaire.pk}"

    def queries(number):
        Code.objects.filter(questionnaire=questionnaire).delete()
        parent = Code.objects.create(questionnaire=questionnaire, key="root", label="Root")
        for i in range(number):
            Code.objects.create(questionnaire=questionnaire, key=f"c{i}", label=f"Code {i}",
                                parent=parent, order=i,
                                question=questionnaire.questions.first() if i % 2 else None)
        with CaptureQueriesContext(connection) as context:
            assert admin_client.get(url).status_code == 200
        return len(context)

    assert queries(5) == queries(25)


@pytest.mark.django_db
def test_admin_change_form_edits_keywords_one_per_line(admin_client):
    questionnaire = make_survey()
    codes = make_codebook(questionnaire)
    url = reverse("admin:analysis_code_change", args=[codes["ga_agenda"].pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "agenda</textarea>" in page.content.decode()
    response = admin_client.post(url, {
        "key": "ga_agenda", "label": "Keep the item on the agenda", "definition": "",
        "question": "", "parent": codes["forum"].pk, "exclusive_group": "", "order": 7,
        "keywords": "agenda\nordre du jour; programa"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    code = Code.objects.get(pk=codes["ga_agenda"].pk)
    assert code.keywords == ["agenda", "ordre du jour", "programa"]
    assert code.parent == codes["forum"] and code.question is None


@pytest.mark.django_db
def test_admin_import_and_export_views(admin_client):
    questionnaire = make_survey()
    url = reverse("admin:analysis_code_import")
    assert admin_client.get(f"{url}?questionnaire={questionnaire.pk}").status_code == 200

    bad = io.BytesIO(workbook_bytes([["a", "A", "", "missing"]], COLUMNS[:4]))
    bad.name = "codebook.xlsx"
    page = admin_client.post(url, {"questionnaire": questionnaire.pk, "file": bad})
    assert page.status_code == 200
    content = page.content.decode()
    assert "Nothing was imported" in content and "Unknown parent “missing”" in content
    assert not Code.objects.exists()

    good = io.BytesIO(workbook_bytes(SHEET))
    good.name = "codebook.xlsx"
    done = admin_client.post(url, {"questionnaire": questionnaire.pk, "file": good})
    assert done.status_code == 302
    assert done["Location"].endswith(f"?questionnaire__id__exact={questionnaire.pk}")
    assert Code.objects.filter(questionnaire=questionnaire).count() == 5

    download = admin_client.get(reverse("admin:analysis_code_export_xlsx",
                                        args=[questionnaire.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="HLD-2008-codebook.xlsx"'
    assert load_workbook(io.BytesIO(download.content))["codebook"]["A2"].value == "forum"
    qdc = admin_client.get(reverse("admin:analysis_code_export_qdc", args=[questionnaire.pk]))
    assert qdc.status_code == 200 and b"urn:QDA-XML:codebook:1.0" in qdc.content
    assert admin_client.get(reverse("admin:analysis_code_export_qdc",
                                    args=[999999])).status_code == 404


@pytest.mark.django_db
def test_admin_import_needs_the_permission_to_add_and_change_codes(client):
    questionnaire = make_survey()
    client.force_login(staff("view_code"))
    assert client.get(reverse("admin:analysis_code_import")).status_code == 403
    assert client.get(reverse("admin:analysis_code_export_xlsx",
                              args=[questionnaire.pk])).status_code == 200
    client.force_login(staff(username="nobody"))
    assert client.get(reverse("admin:analysis_code_export_xlsx",
                              args=[questionnaire.pk])).status_code == 403


# --- commands -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_commands_export_and_import_xlsx_and_qdc(tmp_path):
    questionnaire = make_survey()
    make_codebook(questionnaire)
    out = io.StringIO()
    call_command("export_codebook", "HLD-2008", str(tmp_path / "book.xlsx"), stdout=out)
    call_command("export_codebook", "HLD-2008", str(tmp_path / "book.qdc"), stdout=out)
    assert "5 codes written" in out.getvalue()

    make_survey("HLD-2010")
    call_command("import_codebook", "HLD-2010", str(tmp_path / "book.xlsx"), stdout=out)
    assert "5 rows imported: 5 new" in out.getvalue()
    make_survey("HLD-2012")
    call_command("import_codebook", "HLD-2012", str(tmp_path / "book.qdc"), stdout=out)
    assert set(snapshot(questionnaire)) == set(
        Code.objects.filter(questionnaire__code="HLD-2012").values_list("key", flat=True))

    (tmp_path / "bad.xlsx").write_bytes(workbook_bytes([["a", "A", "", "missing"]], COLUMNS[:4]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_codebook", "HLD-2010", str(tmp_path / "bad.xlsx"), stderr=err)
    assert "Unknown parent" in err.getvalue()
    with pytest.raises(CommandError, match="No questionnaire"):
        call_command("import_codebook", "NOPE", str(tmp_path / "book.xlsx"))


@pytest.mark.django_db
def test_admin_edits_the_order_in_the_list_and_opens_the_add_page(admin_client):
    questionnaire = make_survey()
    codes = make_codebook(questionnaire)
    url = f"{reverse('admin:analysis_code_changelist')}?questionnaire__id__exact={questionnaire.pk}"
    page = admin_client.get(url)
    rows = list(page.context["cl"].result_list)
    data = {"form-TOTAL_FORMS": len(rows), "form-INITIAL_FORMS": len(rows), "_save": "Save"}
    for i, code in enumerate(rows):
        data[f"form-{i}-id"] = code.pk
        data[f"form-{i}-order"] = 50 if code.key == "ga_agenda" else code.order
    assert admin_client.post(url, data).status_code == 302
    assert Code.objects.get(pk=codes["ga_agenda"].pk).order == 50

    add = admin_client.get(f"{reverse('admin:analysis_code_add')}?questionnaire={questionnaire.pk}")
    assert add.status_code == 200
    parents = add.context["adminform"].form.fields["parent"].queryset
    assert set(parents) == set(codes.values())


@pytest.mark.django_db
def test_a_code_applied_by_coders_cannot_be_deleted_nor_its_parent(
        admin_client, registry, admin_user):
    questionnaire = make_survey()
    codes = make_codebook(questionnaire)
    response = submitted_reply(questionnaire, registry["SEN"],
                               {"forum_useful": "A useful outcome."})
    Coding.objects.create(answer=response.answers.get(), code=codes["useful"], coder=admin_user)

    page = admin_client.get(reverse("admin:analysis_code_delete", args=[codes["forum"].pk]))
    content = page.content.decode()
    assert "protected" in content
    assert "The Forum is a useful outcome (useful): applied in 1 coding" in content
    admin_client.post(reverse("admin:analysis_code_delete", args=[codes["forum"].pk]),
                      {"post": "yes"})
    assert Code.objects.filter(pk=codes["forum"].pk).exists()

    # A code nobody applied goes.
    admin_client.post(reverse("admin:analysis_code_delete", args=[codes["ga_agenda"].pk]),
                      {"post": "yes"})
    assert not Code.objects.filter(pk=codes["ga_agenda"].pk).exists()

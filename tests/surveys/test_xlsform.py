"""XLSForm export and import, with real .xlsx files written by openpyxl into ``tmp_path``.

A round trip (export, then import under another code) must give the same questionnaire
in every language; a form drafted in another tool must import; what Inquiry cannot
honour must be refused with its rows, or reported, never dropped quietly.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from surveys.models import Choice, Question, Questionnaire, Section
from surveys.xlsform import XlsformError, questionnaire_from_xlsform, questionnaire_to_xlsform
from tests.surveys.test_questionnaires import canonical, make_questionnaire

EN, FR = "label::English (en)", "label::Français (fr)"


def write_xlsform(path, survey, choices=None, settings=None):
    """Write a workbook: each argument is a list of rows, the first being the headers."""
    workbook = Workbook()
    workbook.active.title = "survey"
    for row in survey:
        workbook.active.append(list(row))
    for title, rows in (("choices", choices), ("settings", settings)):
        if rows is not None:
            sheet = workbook.create_sheet(title)
            for row in rows:
                sheet.append(list(row))
    workbook.save(path)
    return path


def import_file(path, **kwargs):
    return questionnaire_from_xlsform(path.read_bytes(), **kwargs)


def refused(path, **kwargs) -> list[str]:
    before = (Questionnaire.objects.count(), Question.objects.count(), Section.objects.count(),
              Choice.objects.count())
    with pytest.raises(XlsformError) as excinfo:
        import_file(path, **kwargs)
    after = (Questionnaire.objects.count(), Question.objects.count(), Section.objects.count(),
             Choice.objects.count())
    assert after == before, "nothing may be written when a file is refused"
    return excinfo.value.messages


# --- export ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_writes_the_xlsform_sheets_and_columns(tmp_path):
    path = tmp_path / "hld.xlsx"
    path.write_bytes(questionnaire_to_xlsform(make_questionnaire()))
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["survey", "choices", "settings"]

    survey = [[c if c is not None else "" for c in row]
              for row in workbook["survey"].iter_rows(values_only=True)]
    headers = survey[0]
    assert headers[:4] == ["type", "name", "label::English (en)", "label::Arabic (ar)"]
    assert "label::Chinese (zh)" in headers and "hint::French (fr)" in headers
    assert headers[-1] == "required"
    rows = {row[1]: row for row in survey[1:] if row[1]}
    assert rows["contact"][0] == "text"
    assert rows["forum"][0] == "begin group"
    assert rows["forum"][2] == "The Global Forum"
    assert rows["forum_useful"][0] == "select_one yes_no"
    assert rows["forum_useful"][-1] == "yes"
    assert rows["forum_role"][0] == "select_one forum_role"
    assert rows["ideas"][0] == "select_multiple ideas"
    assert rows["migrants"][0] == "decimal"
    assert rows["adopted_on"][0] == "date"
    assert rows["letter"][0] == "file"
    assert [row[0] for row in survey].count("end group") == 3
    # A text that starts like a formula is neutralised.
    hint = headers.index("hint::English (en)")
    assert rows["forum_role"][hint] == "'=Choose one"

    choices = list(workbook["choices"].iter_rows(values_only=True))
    assert choices[0][:3] == ("list_name", "name", "label::English (en)")
    assert [(r[0], r[1]) for r in choices[1:4]] == [("yes_no", "yes"), ("yes_no", "no"),
                                                    ("yes_no", "no_opinion")]
    assert ("ideas", "regional", "'+ Regional meetings") in [r[:3] for r in choices]

    settings = list(workbook["settings"].iter_rows(values_only=True))
    values = dict(zip(settings[0], settings[1], strict=True))
    assert values["form_id"] == "HLD-2008"
    assert values["form_title"] == "Follow-up to the High-level Dialogue"
    assert values["default_language"] == "English (en)"
    assert values["title::French (fr)"] == "Suivi du Dialogue de haut niveau"
    assert values["deadline"].date() == datetime.date(2008, 4, 30)
    assert values["reminder_days"] == "'-14 -7 7"


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_round_trip_in_six_languages_is_lossless(tmp_path):
    original = make_questionnaire()
    path = tmp_path / "hld.xlsx"
    path.write_bytes(questionnaire_to_xlsform(original))

    copy, report = import_file(path, code="HLD-2008-again")

    assert copy.code == "HLD-2008-again" and copy.status == Questionnaire.Status.DRAFT
    assert report.warnings == []
    assert (report.sections, report.questions, report.choices) == (3, 8, 8)
    assert canonical(copy) == canonical(original)
    for language in ["ar", "zh-hans", "en", "fr", "ru", "es"]:
        assert copy.questions.get(code="forum_useful").text[language] == \
            original.questions.get(code="forum_useful").text[language]


@pytest.mark.django_db
def test_round_trip_in_two_languages_with_french_first(tmp_path):
    original = make_questionnaire(languages=["fr", "en"], default_language="fr")
    content = questionnaire_to_xlsform(original)
    headers = [c.value for c in load_workbook(io.BytesIO(content))["survey"][1]]
    assert headers == ["type", "name", "label::French (fr)", "label::English (en)",
                       "hint::French (fr)", "hint::English (en)", "required"]

    copy, _report = questionnaire_from_xlsform(content, code="HLD-FR")

    assert canonical(copy) == canonical(original)
    assert copy.languages == ["en", "fr"] and copy.default_language == "fr"


@pytest.mark.django_db
def test_round_trip_through_the_commands(tmp_path):
    make_questionnaire()
    path = tmp_path / "out.xlsx"
    out = io.StringIO()
    call_command("export_questionnaire", "HLD-2008", str(path), stdout=out)
    assert "8 questions" in out.getvalue()
    out = io.StringIO()
    call_command("import_questionnaire", str(path), "--code", "HLD-2010", stdout=out)
    assert "HLD-2010" in out.getvalue() and "8 questions" in out.getvalue()
    assert canonical(Questionnaire.objects.get(code="HLD-2010")) == \
        canonical(Questionnaire.objects.get(code="HLD-2008"))


@pytest.mark.django_db
def test_export_command_unknown_code(tmp_path):
    with pytest.raises(CommandError, match="NOPE"):
        call_command("export_questionnaire", "NOPE", str(tmp_path / "x.xlsx"))


@pytest.mark.django_db
def test_import_under_the_same_code_is_refused(tmp_path):
    original = make_questionnaire()
    path = tmp_path / "hld.xlsx"
    path.write_bytes(questionnaire_to_xlsform(original))
    messages = refused(path)
    assert any("code" in m for m in messages)


@pytest.mark.django_db
def test_update_replaces_the_content_of_a_draft(tmp_path):
    original = make_questionnaire()
    draft = Questionnaire.objects.create(code="DRAFT", title={"en": "Old"})
    Question.objects.create(questionnaire=draft, code="old", text={"en": "Old question"})
    path = tmp_path / "hld.xlsx"
    path.write_bytes(questionnaire_to_xlsform(original))

    updated, _report = import_file(path, update=draft)

    assert updated.pk == draft.pk and updated.code == "DRAFT"
    assert canonical(updated) == canonical(original)
    draft.status = Questionnaire.Status.OPEN
    draft.save()
    assert any("not a draft" in m for m in refused(path, update=draft))


# --- forms drafted elsewhere -------------------------------------------------------------------


def elsewhere_form(tmp_path):
    """An XLSForm as KoboToolbox or ODK users write it, French named in French."""
    return write_xlsform(
        tmp_path / "kobo.xlsx",
        survey=[
            ["type", "name", EN, FR, "hint::English (en)", "required", "appearance"],
            ["start", "start", "", "", "", "", ""],
            ["end", "end", "", "", "", "", ""],
            ["begin group", "views", "Your views", "Vos vues", "", "", "field-list"],
            ["select_one yn", "useful", "Is the Forum useful?", "Le Forum est-il utile ?",
             "", "yes", ""],
            ["select_one agree", "agree", "Do you agree?", "Êtes-vous d'accord ?", "",
             True, ""],
            ["select_multiple ideas", "ideas", "Which ideas?", "Quelles idées ?",
             "Tick all that apply", "TRUE", ""],
            ["note", "thanks_note", "Thank you", "Merci", "", "", ""],
            ["end group", "", "", "", "", "", ""],
            ["text", "comments", "Comments", "Commentaires", "", "true()", "multiline"],
            ["integer", "staff", "How many staff?", "Combien d'agents ?", "", "no", ""],
            ["date", "since", "Since when?", "Depuis quand ?", "", "false", ""],
            ["decimal", "budget", "Budget", "Budget", "", "", ""],
            ["file", "annex", "Annex", "Annexe", "", "", ""],
        ],
        choices=[
            ["list_name", "name", EN, FR],
            ["yn", "yes", "Yes", "Oui"],
            ["yn", "no", "No", "Non"],
            ["yn", "no_opinion", "No opinion", "Sans opinion"],
            ["agree", "yes", "Yes", "Oui"],
            ["agree", "no", "No", "Non"],
            ["ideas", "agenda", "Agenda item", "Point de l'ordre du jour"],
            ["ideas", "meetings", "Regional meetings", "Réunions régionales"],
        ],
        settings=[["form_title", "form_id", "default_language", "version"],
                  ["Survey on migration", "migration_2024", "English (en)", "2024061301"]],
    )


@pytest.mark.django_db
def test_a_form_drafted_elsewhere_imports(tmp_path):
    questionnaire, report = import_file(elsewhere_form(tmp_path))

    assert questionnaire.code == "migration_2024"
    assert questionnaire.title == {"en": "Survey on migration"}
    assert questionnaire.languages == ["en", "fr"] and questionnaire.default_language == "en"
    assert questionnaire.status == Questionnaire.Status.DRAFT
    section = questionnaire.sections.get()
    assert (section.code, section.title) == ("views", {"en": "Your views", "fr": "Vos vues"})
    questions = {q.code: q for q in questionnaire.questions.prefetch_related("choices")}
    assert list(questions) == ["useful", "agree", "ideas", "comments", "staff", "since",
                               "budget", "annex"]
    assert {c: q.type for c, q in questions.items()} == {
        "useful": "yes_no", "agree": "single", "ideas": "multiple", "comments": "text",
        "staff": "number", "since": "date", "budget": "number", "annex": "file"}
    assert {c for c, q in questions.items() if q.required} == {"useful", "agree", "ideas",
                                                                "comments"}
    assert questions["useful"].section == section and questions["comments"].section is None
    assert questions["ideas"].text == {"en": "Which ideas?", "fr": "Quelles idées ?"}
    assert questions["ideas"].help_text == {"en": "Tick all that apply"}
    assert [(c.value, c.label) for c in questions["ideas"].choices.all()] == [
        ("agenda", {"en": "Agenda item", "fr": "Point de l'ordre du jour"}),
        ("meetings", {"en": "Regional meetings", "fr": "Réunions régionales"})]
    # A yes / no / no opinion list becomes the standard question, in all six languages.
    yes = questions["useful"].choices.get(value="yes")
    assert yes.label["fr"] == "Oui" and yes.label["ru"] == "Да"

    warnings = "\n".join(report.warnings)
    assert "row 8" in warnings and "notes" in warnings  # the note row
    assert "row 11" in warnings and "integer" in warnings
    assert "rows 2, 3" in warnings  # start / end metadata
    assert "appearance" in warnings and "rows 4, 10" in warnings
    assert "version" in warnings
    assert "before the groups" in warnings  # questions after the group move first


@pytest.mark.django_db
def test_bare_label_column_is_the_default_language(tmp_path):
    path = write_xlsform(
        tmp_path / "bare.xlsx",
        survey=[["type", "name", "label", "label::English (en)", "hint"],
                ["text", "q1", "Question un", "Question one", "Aide"]],
        settings=[["form_id", "default_language", "title::French (fr)"],
                  ["bare", "fr", "Titre"]])
    questionnaire, _report = import_file(path)
    question = questionnaire.questions.get()
    assert question.text == {"fr": "Question un", "en": "Question one"}
    assert question.help_text == {"fr": "Aide"}
    assert questionnaire.default_language == "fr" and questionnaire.title == {"fr": "Titre"}
    assert questionnaire.languages == ["en", "fr"]


@pytest.mark.django_db
def test_chinese_as_zh_and_arabic_names_in_their_own_language(tmp_path):
    path = write_xlsform(
        tmp_path / "zh.xlsx",
        survey=[["type", "name", "label::中文 (zh)", "label::العربية (ar)", "label::English"],
                ["text", "q1", "问题", "سؤال", "Question"]],
        settings=[["form_id"], ["zh_form"]])
    questionnaire, report = import_file(path)
    assert questionnaire.questions.get().text == {"zh-hans": "问题", "ar": "سؤال",
                                                  "en": "Question"}
    assert questionnaire.languages == ["ar", "zh-hans", "en"]
    assert any("title" in w for w in report.warnings)  # no title given: the code is used
    assert questionnaire.title == {"en": "zh_form"}


# --- refused -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_features_that_change_meaning_are_refused_with_their_rows(tmp_path):
    path = write_xlsform(
        tmp_path / "logic.xlsx",
        survey=[
            ["type", "name", EN, "relevant", "constraint", "calculation"],
            ["select_one yn", "useful", "Useful?", "", "", ""],
            ["text", "why", "Why?", "${useful} = 'yes'", "", ""],
            ["integer", "age", "Age", "", ". > 0", ""],
            ["calculate", "double", "", "", "", "${age} * 2"],
            ["begin repeat", "people", "People", "", "", ""],
            ["text", "person", "Name", "", "", ""],
            ["end repeat", "", "", "", "", ""],
            ["select_one yn or_other", "other", "Other?", "", "", ""],
            ["geopoint", "where", "Where?", "", "", ""],
            ["select_one_from_file states.csv", "state", "State", "", "", ""],
        ],
        choices=[["list_name", "name", EN], ["yn", "yes", "Yes"], ["yn", "no", "No"]],
        settings=[["form_id"], ["logic"]])

    messages = refused(path)

    text = "\n".join(messages)
    assert "survey sheet, row 3: column “relevant” (${useful} = 'yes')" in text
    assert "survey sheet, row 4: column “constraint”" in text
    assert "survey sheet, row 5: column “calculation”" in text
    assert any(m.startswith("survey sheet, row 5:") and "calculations" in m for m in messages)
    assert any(m.startswith("survey sheet, row 6:") and "begin repeat" in m for m in messages)
    assert any(m.startswith("survey sheet, row 9:") and "or_other" in m for m in messages)
    assert any(m.startswith("survey sheet, row 10:") and "geopoint" in m for m in messages)
    assert any(m.startswith("survey sheet, row 11:") and "select_one_from_file" in m
               for m in messages)
    assert not Questionnaire.objects.filter(code="logic").exists()


@pytest.mark.django_db
def test_the_import_command_refuses_and_lists_every_problem(tmp_path):
    path = write_xlsform(
        tmp_path / "bad.xlsx",
        survey=[["type", "name", EN, "relevant"],
                ["text", "a", "A", "${b} = 1"],
                ["text", "b", "B", "${a} = 1"]],
        settings=[["form_id"], ["bad"]])
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 problem"):
        call_command("import_questionnaire", str(path), stdout=io.StringIO(), stderr=err)
    assert "row 2" in err.getvalue() and "row 3" in err.getvalue()
    assert not Questionnaire.objects.filter(code="bad").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("survey", "choices", "expected"), [
    ([["type", "name", "label::Deutsch (de)"], ["text", "q", "Frage"]], None,
     "survey sheet, row 1: column “label::Deutsch (de)”: unknown language"),
    ([["type", "name", EN], ["select_one", "q", "Q"]], None,
     "survey sheet, row 2: “select_one” needs a list_name"),
    ([["type", "name", EN], ["select_multiple nowhere", "q", "Q"]],
     [["list_name", "name", EN], ["yn", "yes", "Yes"]],
     "survey sheet, row 2: the list “nowhere” is not in the choices sheet"),
    ([["type", "name", EN], ["text", "q", "Q"], ["integer", "q", "Q again"]], None,
     "survey sheet, row 3: the name “q” is used twice"),
    ([["type", "name", EN], ["text", "", "Q"]], None, "survey sheet, row 2: the question has no"),
    ([["type", "name", EN], ["text", "q", ""]], None, "survey sheet, row 2: the question “q” has"),
    ([["type", "name", EN], ["text", "2q", "Q"]], None, "survey sheet, row 2: name “2q”"),
    ([["type", "name", EN, "required"], ["text", "q", "Q", "${a} = 1"]], None,
     "survey sheet, row 2: required “${a} = 1”"),
    ([["type", "name", EN], ["text", "q", "Hello ${name}"]], None,
     "survey sheet, row 2: the text “Hello ${name}” refers to another answer"),
    ([["type", "name", EN], ["begin group", "g", "G"], ["begin group", "h", "H"],
      ["text", "q", "Q"], ["end group", "", ""], ["end group", "", ""]], None,
     "survey sheet, row 3: groups within groups"),
    ([["type", "name", EN], ["begin group", "g", "G"], ["text", "q", "Q"]], None,
     "survey sheet, row 2: this group has no “end group”"),
    ([["type", "name", EN], ["text", "q", "Q"], ["end group", "", ""]], None,
     "survey sheet, row 3: “end group” without “begin group”"),
    ([["type", "name", EN], ["select_one yn", "q", "Q"]],
     [["list_name", "name", EN], ["yn", "1 2", "Yes"], ["yn", "x", "No"],
      ["yn", "x", "Maybe"], ["", "y", "Y"]],
     "choices sheet, row 2: name “1 2”"),
    ([["type", "name", EN], ["select_one yn", "q", "Q"]],
     [["list_name", "name", EN], ["yn", "a", "A"], ["yn", "a", "Again"]],
     "choices sheet, row 3: the list “yn” has the name “a” twice"),
    ([["type", "name", EN], ["select_one yn", "q", "Q"]],
     [["list_name", "name", EN], ["", "a", "A"]], "choices sheet, row 2: the list_name"),
    ([["type", "name", EN], ["range", "q", "Q"]], None,
     "survey sheet, row 2: the question type “range” is not supported"),
    ([["type", "name", EN, "label"], ["text", "q", "Q", "Q"]], None,
     "survey sheet, row 1: columns “label::English (en)” and “label” hold the same thing"),
    ([["name", EN], ["q", "Q"]], None, "survey sheet, row 1: the column “type” is missing"),
])
def test_problems_are_named_with_sheet_and_row(tmp_path, survey, choices, expected):
    path = write_xlsform(tmp_path / "bad.xlsx", survey=survey, choices=choices,
                         settings=[["form_id"], ["bad"]])
    messages = refused(path)
    assert any(m.startswith(expected) for m in messages), messages


@pytest.mark.django_db
def test_bad_settings_are_refused(tmp_path):
    path = write_xlsform(
        tmp_path / "settings.xlsx", survey=[["type", "name", EN], ["text", "q", "Q"]],
        settings=[["form_id", "default_language", "languages", "deadline", "cutoff",
                   "reminder_days", "max_reminders"],
                  ["s", "Klingon", "en fr xx", "30/04/2008", "2008-04-01", "-7 soon", "many"]])
    text = "\n".join(refused(path))
    assert "default_language" in text and "Klingon" in text
    assert "“xx”" in text
    assert "“30/04/2008” is not a date" in text
    assert "“soon”" in text and "max_reminders" in text


@pytest.mark.django_db
def test_cutoff_before_deadline_in_the_file_is_refused(tmp_path):
    path = write_xlsform(
        tmp_path / "dates.xlsx", survey=[["type", "name", EN], ["text", "q", "Q"]],
        settings=[["form_id", "deadline", "cutoff"], ["d", "2008-04-30", "2008-04-01"]])
    assert any("cut-off" in m for m in refused(path))


@pytest.mark.django_db
def test_no_code_no_survey_and_not_a_workbook(tmp_path):
    path = write_xlsform(tmp_path / "nocode.xlsx", survey=[["type", "name", EN],
                                                          ["text", "q", "Q"]])
    assert any("code" in m for m in refused(path))
    assert import_file(path, code="given")[0].code == "given"

    workbook = Workbook()
    workbook.active.title = "questions"
    workbook.save(tmp_path / "nosurvey.xlsx")
    assert any("survey" in m for m in refused(tmp_path / "nosurvey.xlsx", code="x"))

    (tmp_path / "text.xlsx").write_text("not a workbook")
    assert any("cannot be read" in m for m in refused(tmp_path / "text.xlsx", code="x"))


@pytest.mark.django_db
def test_cosmetic_columns_and_blank_rows_are_reported_not_fatal(tmp_path):
    path = write_xlsform(
        tmp_path / "cosmetic.xlsx",
        survey=[["type", "name", EN, "media::image::English (en)", "guidance_hint", "$kuid"],
                ["text", "q1", "Q1", "photo.jpg", "", "abc"],
                ["", "", "", "", "", ""],
                ["text", "q2", "Q2", "", "Ask the ministry", ""]],
        choices=[["list_name", "name", EN], ["unused", "a", "A"]],
        settings=[["form_id"], ["cosmetic"]])
    questionnaire, report = import_file(path)
    assert list(questionnaire.questions.values_list("code", flat=True)) == ["q1", "q2"]
    warnings = "\n".join(report.warnings)
    assert "media::image::English (en)" in warnings and "rows 2" in warnings
    assert "guidance_hint" in warnings and "rows 4" in warnings
    assert "“$kuid” is unknown to Inquiry" in warnings
    assert "“unused” is used by no question" in warnings


def test_numbered_choices_from_other_tools_import(db, tmp_path):
    """Forms drafted in other tools often name choices 1, 2, 3."""
    from openpyxl import Workbook

    from surveys.xlsform import questionnaire_from_xlsform

    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(["type", "name", "label::English (en)"])
    survey.append(["select_one scale", "q", "How useful?"])
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", "label::English (en)"])
    for number, label in [(1, "Not useful"), (2, "Useful"), (3, "Very useful")]:
        choices.append(["scale", number, label])
    path = tmp_path / "numbered.xlsx"
    workbook.save(path)

    questionnaire, _report = questionnaire_from_xlsform(path.read_bytes(), code="NUM-1")

    question = questionnaire.questions.get(code="q")
    assert [c.value for c in question.choices.all()] == ["1", "2", "3"]

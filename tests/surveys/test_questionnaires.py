"""Questionnaires: the model's rules, copying for a new round, opening and closing, the reply form.

``make_questionnaire`` builds the 2008 questionnaire with every question type and every
text in the six languages; ``canonical`` turns a questionnaire into plain data, so two
questionnaires can be compared whole. The XLSForm and admin tests import both.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from surveys.models import YES_NO_CHOICES, Choice, Question, Questionnaire, ReminderRule, Section
from surveys.reply_form import build_reply_form, questionnaire_layout
from surveys.services.questionnaires import (
    question_ensure_yes_no_choices,
    questionnaire_close,
    questionnaire_copy,
    questionnaire_copy_code,
    questionnaire_missing_translations,
    questionnaire_open,
)

ALL = ["ar", "zh-hans", "en", "fr", "ru", "es"]


def six(en, fr, ar, zh, ru, es) -> dict:
    return {"en": en, "fr": fr, "ar": ar, "zh-hans": zh, "ru": ru, "es": es}


def make_questionnaire(code="HLD-2008", *, languages=None, default_language="en") -> Questionnaire:
    """The 2008 follow-up questionnaire: one question of each type, all texts in six languages."""
    languages = list(languages or ALL)

    def only(texts):
        return {k: v for k, v in texts.items() if k in languages}

    questionnaire = Questionnaire.objects.create(
        code=code, languages=languages, default_language=default_language,
        title=only(six("Follow-up to the High-level Dialogue",
                       "Suivi du Dialogue de haut niveau",
                       "متابعة الحوار الرفيع المستوى", "高级别对话的后续行动",
                       "Последующая деятельность по итогам Диалога высокого уровня",
                       "Seguimiento del Diálogo de alto nivel")),
        reference="General Assembly resolution 61/208",
        introduction=only(six("Please reply by 30 April 2008.\nThank you.",
                              "Veuillez répondre avant le 30 avril 2008.\nMerci.",
                              "يرجى الرد قبل 30 نيسان/أبريل 2008.", "请在2008年4月30日前答复。",
                              "Просьба ответить до 30 апреля 2008 года.",
                              "Sírvase responder antes del 30 de abril de 2008.")),
        sent_on=datetime.date(2008, 3, 18), deadline=datetime.date(2008, 4, 30),
        cutoff=datetime.date(2008, 7, 15), max_reminders=2)
    for days in (-14, -7, 7):
        ReminderRule.objects.create(questionnaire=questionnaire, days_from_deadline=days)
    forum = Section.objects.create(
        questionnaire=questionnaire, order=1, code="forum",
        title=only(six("The Global Forum", "Le Forum mondial", "المنتدى العالمي", "全球论坛",
                       "Глобальный форум", "El Foro Mundial")))
    follow_up = Section.objects.create(
        questionnaire=questionnaire, order=2, code="follow_up",
        title=only(six("Follow-up", "Suivi", "المتابعة", "后续行动", "Последующие меры",
                       "Seguimiento")))
    Section.objects.create(questionnaire=questionnaire, order=3, code="annex",
                           title=only(six("Annex", "Annexe", "مرفق", "附件", "Приложение",
                                          "Anexo")))

    def question(code, kind, text, *, section=None, order, required=False, help_text=None):
        return Question.objects.create(
            questionnaire=questionnaire, section=section, order=order, code=code, type=kind,
            required=required, text=only(text), help_text=only(help_text or {}))

    question("contact", Question.Type.TEXT,
             six("Who prepared this reply?", "Qui a préparé cette réponse ?",
                 "من أعد هذا الرد؟", "谁编写了本答复？", "Кто подготовил этот ответ?",
                 "¿Quién preparó esta respuesta?"), order=1)
    useful = question("forum_useful", Question.Type.YES_NO,
                      six("Is the Global Forum a useful outcome?",
                          "Le Forum mondial est-il un résultat utile ?",
                          "هل المنتدى العالمي نتيجة مفيدة؟", "全球论坛是否是有益的成果？",
                          "Является ли Глобальный форум полезным итогом?",
                          "¿Es el Foro Mundial un resultado útil?"),
                      section=forum, order=1, required=True)
    question_ensure_yes_no_choices(question=useful)
    role = question("forum_role", Question.Type.SINGLE,
                    six("What should the Forum be?", "Que devrait être le Forum ?",
                        "ماذا ينبغي أن يكون المنتدى؟", "论坛应当是什么？",
                        "Чем должен быть Форум?", "¿Qué debería ser el Foro?"),
                    section=forum, order=2,
                    help_text=six("=Choose one", "=Choisissez-en un", "اختر واحدا",
                                  "选择一项", "Выберите один", "Elija uno"))
    for order, (value, label) in enumerate([
            ("sole", six("The sole follow-up", "Le seul suivi", "المتابعة الوحيدة",
                         "唯一的后续行动", "Единственная мера", "El único seguimiento")),
            ("one_of", six("One follow-up among others", "Un suivi parmi d'autres",
                           "متابعة من بين أمور أخرى", "后续行动之一", "Одна из мер",
                           "Un seguimiento entre otros"))], start=1):
        Choice.objects.create(question=role, order=order, value=value, label=only(label))
    ideas = question("ideas", Question.Type.MULTIPLE,
                     six("Which follow-up would you support?",
                         "Quel suivi appuieriez-vous ?", "ما المتابعة التي تؤيدونها؟",
                         "您支持哪些后续行动？", "Какие меры вы бы поддержали?",
                         "¿Qué seguimiento apoyaría?"), section=follow_up, order=1)
    for order, (value, label) in enumerate([
            ("agenda", six("Keep the item on the agenda", "Garder le point à l'ordre du jour",
                           "إبقاء البند على جدول الأعمال", "保留该议程项目",
                           "Сохранить пункт в повестке", "Mantener el tema en el programa")),
            ("dialogues", six("Periodic dialogues", "Dialogues périodiques", "حوارات دورية",
                              "定期对话", "Периодические диалоги", "Diálogos periódicos")),
            ("regional", six("+ Regional meetings", "+ Réunions régionales", "اجتماعات إقليمية",
                             "区域会议", "Региональные совещания", "Reuniones regionales"))],
            start=1):
        Choice.objects.create(question=ideas, order=order, value=value, label=only(label))
    question("views", Question.Type.TEXT,
             six("Other views", "Autres vues", "آراء أخرى", "其他意见", "Другие мнения",
                 "Otras opiniones"), section=follow_up, order=2, required=True,
             help_text=six("Up to one page.", "Une page au plus.", "صفحة واحدة على الأكثر.",
                           "最多一页。", "Не более страницы.", "Una página como máximo."))
    question("migrants", Question.Type.NUMBER,
             six("How many migrants?", "Combien de migrants ?", "كم عدد المهاجرين؟",
                 "有多少移民？", "Сколько мигрантов?", "¿Cuántos migrantes?"),
             section=follow_up, order=3)
    question("adopted_on", Question.Type.DATE,
             six("When was the policy adopted?", "Quand la politique a-t-elle été adoptée ?",
                 "متى اعتمدت السياسة؟", "该政策何时通过？", "Когда была принята политика?",
                 "¿Cuándo se adoptó la política?"), section=follow_up, order=4)
    question("letter", Question.Type.FILE,
             six("Attach the official letter", "Joindre la lettre officielle",
                 "أرفق الرسالة الرسمية", "附上正式信函", "Приложите официальное письмо",
                 "Adjunte la carta oficial"), section=follow_up, order=5)
    return questionnaire


def canonical(questionnaire: Questionnaire) -> dict:
    """Everything a questionnaire says, as plain data (positions, not order numbers)."""
    questionnaire = Questionnaire.objects.get(pk=questionnaire.pk)
    layout = []
    for section, questions in questionnaire_layout(questionnaire):
        layout.append({
            "section": (section.code, section.title) if section else None,
            "questions": [{
                "code": q.code, "type": q.type, "required": q.required, "text": q.text,
                "help_text": q.help_text,
                "choices": [(c.value, c.label) for c in q.choices.all()]} for q in questions]})
    return {
        "title": questionnaire.title, "reference": questionnaire.reference,
        "languages": sorted(questionnaire.languages),
        "default_language": questionnaire.default_language,
        "introduction": questionnaire.introduction, "sent_on": questionnaire.sent_on,
        "deadline": questionnaire.deadline, "cutoff": questionnaire.cutoff,
        "max_reminders": questionnaire.max_reminders,
        "reminders": [r.days_from_deadline for r in questionnaire.reminder_rules.all()],
        "layout": layout,
    }


# --- the model's rules -------------------------------------------------------------------------


@pytest.mark.django_db
class TestModelRules:
    def valid(self, **changes):
        questionnaire = Questionnaire(code="Q1", title={"en": "T"}, languages=["en", "fr"],
                                      default_language="en", deadline=datetime.date(2008, 4, 30))
        for name, value in changes.items():
            setattr(questionnaire, name, value)
        return questionnaire

    def test_a_complete_questionnaire_is_valid(self):
        self.valid(cutoff=datetime.date(2008, 7, 15)).full_clean()

    def test_cutoff_before_deadline_is_refused(self):
        with pytest.raises(ValidationError) as excinfo:
            self.valid(cutoff=datetime.date(2008, 4, 1)).full_clean()
        assert "cutoff" in excinfo.value.message_dict

    def test_main_language_not_offered_is_refused(self):
        with pytest.raises(ValidationError) as excinfo:
            self.valid(default_language="ru").full_clean()
        assert "default_language" in excinfo.value.message_dict

    def test_deadline_before_sending_is_refused(self):
        with pytest.raises(ValidationError) as excinfo:
            self.valid(sent_on=datetime.date(2008, 5, 1)).full_clean()
        assert "deadline" in excinfo.value.message_dict

    def test_no_language_or_unknown_language_is_refused(self):
        for languages in ([], ["en", "de"]):
            with pytest.raises(ValidationError) as excinfo:
                self.valid(languages=languages).full_clean()
            assert "languages" in excinfo.value.message_dict


# --- copy --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_copy_gives_an_equal_questionnaire_under_another_code():
    original = make_questionnaire()
    original.status = Questionnaire.Status.CLOSED
    original.save()
    copy = questionnaire_copy(questionnaire=original, code="HLD-2010")

    assert copy.code == "HLD-2010"
    assert copy.status == Questionnaire.Status.DRAFT
    assert copy.copied_from == original
    assert (copy.sent_on, copy.deadline, copy.cutoff) == (None, None, None)
    expected = canonical(original) | {"sent_on": None, "deadline": None, "cutoff": None}
    assert canonical(copy) == expected
    # Deep: new rows, the original untouched.
    assert not set(copy.questions.values_list("pk", flat=True)) & set(
        original.questions.values_list("pk", flat=True))
    assert Choice.objects.filter(question__questionnaire=copy).count() == \
        Choice.objects.filter(question__questionnaire=original).count() == 8
    assert all(q.section is None or q.section.questionnaire_id == copy.pk
               for q in copy.questions.select_related("section"))


@pytest.mark.django_db
def test_copy_with_a_new_title_and_a_taken_code():
    original = make_questionnaire()
    copy = questionnaire_copy(questionnaire=original, code="HLD-2010", title={"en": "Round 2"})
    assert copy.title == {"en": "Round 2"}
    with pytest.raises(ValidationError):
        questionnaire_copy(questionnaire=original, code="HLD-2010")
    with pytest.raises(ValidationError):
        questionnaire_copy(questionnaire=original, code="not a code!")
    assert Questionnaire.objects.count() == 2


@pytest.mark.django_db
def test_copy_code_counts_up():
    original = make_questionnaire()
    assert questionnaire_copy_code(questionnaire=original) == "HLD-2008-copy"
    questionnaire_copy(questionnaire=original, code="HLD-2008-copy")
    assert questionnaire_copy_code(questionnaire=original) == "HLD-2008-copy-2"
    long = Questionnaire.objects.create(code="A" * 40, title={"en": "x"})
    assert questionnaire_copy_code(questionnaire=long) == "A" * 35 + "-copy"


# --- yes / no choices --------------------------------------------------------------------------


@pytest.mark.django_db
def test_yes_no_question_always_has_the_three_standard_choices():
    questionnaire = Questionnaire.objects.create(code="Q", title={"en": "Q"})
    question = Question.objects.create(questionnaire=questionnaire, code="q1",
                                       type=Question.Type.YES_NO, text={"en": "Agree?"})
    Choice.objects.create(question=question, value="maybe", label={"en": "Maybe"})
    Choice.objects.create(question=question, value="yes", order=9,
                          label={"en": "Yes, indeed", "fr": ""})

    question_ensure_yes_no_choices(question=question)

    choices = list(question.choices.all())
    assert [c.value for c in choices] == ["yes", "no", "no_opinion"]
    assert choices[0].label["en"] == "Yes, indeed"  # staff's wording kept
    assert choices[0].label["fr"] == "Oui"  # the missing language filled in
    assert choices[2].label == dict(YES_NO_CHOICES)["no_opinion"]
    question_ensure_yes_no_choices(question=question)  # idempotent
    assert question.choices.count() == 3


@pytest.mark.django_db
def test_ensure_leaves_other_types_alone():
    questionnaire = Questionnaire.objects.create(code="Q", title={"en": "Q"})
    question = Question.objects.create(questionnaire=questionnaire, code="q1",
                                       type=Question.Type.SINGLE, text={"en": "Which?"})
    Choice.objects.create(question=question, value="a", label={"en": "A"})
    question_ensure_yes_no_choices(question=question)
    assert list(question.choices.values_list("value", flat=True)) == ["a"]


# --- open and close ----------------------------------------------------------------------------


@pytest.mark.django_db
class TestStatus:
    def test_open_then_close(self):
        questionnaire = make_questionnaire()
        questionnaire_open(questionnaire=questionnaire)
        assert questionnaire.status == Questionnaire.Status.OPEN
        with pytest.raises(ValidationError, match="already open"):
            questionnaire_open(questionnaire=questionnaire)
        questionnaire_close(questionnaire=questionnaire)
        questionnaire.refresh_from_db()
        assert questionnaire.status == Questionnaire.Status.CLOSED
        with pytest.raises(ValidationError, match="not open"):
            questionnaire_close(questionnaire=questionnaire)

    def test_cannot_open_without_questions_or_deadline(self):
        questionnaire = Questionnaire.objects.create(code="EMPTY", title={"en": "Empty"},
                                                     languages=["en"])
        with pytest.raises(ValidationError) as excinfo:
            questionnaire_open(questionnaire=questionnaire)
        text = " ".join(excinfo.value.messages)
        assert "deadline" in text and "question" in text
        questionnaire.refresh_from_db()
        assert questionnaire.status == Questionnaire.Status.DRAFT

    def test_cannot_open_with_a_choice_question_without_choices(self):
        questionnaire = make_questionnaire()
        questionnaire.questions.get(code="forum_role").choices.all().delete()
        with pytest.raises(ValidationError, match="forum_role"):
            questionnaire_open(questionnaire=questionnaire)

    def test_cannot_open_without_languages(self):
        questionnaire = make_questionnaire()
        Questionnaire.objects.filter(pk=questionnaire.pk).update(languages=[])
        with pytest.raises(ValidationError, match="language"):
            questionnaire_open(questionnaire=questionnaire)

    def test_a_draft_cannot_be_closed(self):
        with pytest.raises(ValidationError):
            questionnaire_close(questionnaire=make_questionnaire())

    def test_reopen_only_before_the_cutoff(self):
        questionnaire = make_questionnaire()  # cut-off 15 July 2008: long past
        questionnaire_open(questionnaire=questionnaire)
        questionnaire_close(questionnaire=questionnaire)
        with pytest.raises(ValidationError, match="cut-off"):
            questionnaire_open(questionnaire=questionnaire)
        today = timezone.localdate()
        Questionnaire.objects.filter(pk=questionnaire.pk).update(
            sent_on=today, deadline=today, cutoff=today + datetime.timedelta(days=30))
        questionnaire_open(questionnaire=questionnaire)
        assert questionnaire.status == Questionnaire.Status.OPEN

    def test_missing_translations_are_listed(self):
        questionnaire = make_questionnaire(languages=["en", "fr"])
        assert questionnaire_missing_translations(questionnaire=questionnaire) == []
        question = questionnaire.questions.get(code="views")
        question.text = {"en": "Other views"}
        question.save()
        warnings = questionnaire_missing_translations(questionnaire=questionnaire)
        assert len(warnings) == 1 and "views" in warnings[0] and "French" in warnings[0]


# --- the reply form ----------------------------------------------------------------------------


@pytest.mark.django_db
class TestReplyForm:
    def test_one_field_per_question_in_order_grouped_by_section(self):
        questionnaire = make_questionnaire()
        form = build_reply_form(questionnaire, "en")()
        assert list(form.fields) == ["contact", "forum_useful", "forum_role", "ideas", "views",
                                     "migrants", "adopted_on", "letter"]
        sections = form.sections
        assert [(s.code, s.title) for s in sections] == [
            ("", ""), ("forum", "The Global Forum"), ("follow_up", "Follow-up")]  # no empty annex
        assert [n for s in sections for n, _field in s.fields] == list(range(1, 9))
        assert [f.name for _n, f in sections[1].fields] == ["forum_useful", "forum_role"]

    def test_field_types(self):
        from django import forms

        form = build_reply_form(make_questionnaire(), "en")()
        fields = form.fields
        assert isinstance(fields["contact"], forms.CharField)
        assert isinstance(fields["contact"].widget, forms.Textarea)
        assert isinstance(fields["forum_useful"], forms.ChoiceField)
        assert isinstance(fields["forum_useful"].widget, forms.RadioSelect)
        assert [v for v, _l in fields["forum_useful"].choices] == ["yes", "no", "no_opinion"]
        assert isinstance(fields["forum_role"].widget, forms.RadioSelect)
        assert isinstance(fields["ideas"], forms.MultipleChoiceField)
        assert isinstance(fields["ideas"].widget, forms.CheckboxSelectMultiple)
        assert isinstance(fields["migrants"], forms.DecimalField)
        assert isinstance(fields["adopted_on"], forms.DateField)
        assert 'type="date"' in str(form["adopted_on"])
        assert isinstance(fields["letter"], forms.FileField)
        assert ".pdf" in str(form["letter"])

    def test_required_is_honoured_and_can_be_lifted_for_drafts(self):
        questionnaire = make_questionnaire()
        form = build_reply_form(questionnaire, "en")(data={})
        assert not form.is_valid()
        assert set(form.errors) == {"forum_useful", "views"}
        assert form.errors["views"] == ["This field is required."]
        draft = build_reply_form(questionnaire, "en", enforce_required=False)(data={})
        assert draft.is_valid(), draft.errors

    def test_valid_answers_clean_to_python_values(self):
        form = build_reply_form(make_questionnaire(), "en")(data={
            "forum_useful": "yes", "forum_role": "sole", "ideas": ["agenda", "regional"],
            "views": "Keep the dialogue.", "migrants": "1234.5", "adopted_on": "2007-12-01"})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["migrants"] == Decimal("1234.5")
        assert form.cleaned_data["adopted_on"] == datetime.date(2007, 12, 1)
        assert form.cleaned_data["ideas"] == ["agenda", "regional"]

    def test_numbers_are_read_as_written_in_the_language(self):
        questionnaire = make_questionnaire()
        data = {"forum_useful": "yes", "views": "-"}
        french = build_reply_form(questionnaire, "fr")(data={**data, "migrants": "1234,5"})
        assert french.is_valid(), french.errors
        assert french.cleaned_data["migrants"] == Decimal("1234.5")
        english = build_reply_form(questionnaire, "en")(data={**data, "migrants": "1234.5"})
        assert english.is_valid() and english.cleaned_data["migrants"] == Decimal("1234.5")

    def test_labels_and_choices_in_french_and_arabic(self):
        questionnaire = make_questionnaire()
        french = build_reply_form(questionnaire, "fr")()
        assert french.fields["forum_useful"].label == "Le Forum mondial est-il un résultat utile ?"
        assert dict(french.fields["forum_useful"].choices)["no_opinion"] == "Sans opinion"
        assert french.fields["views"].help_text == "Une page au plus."
        assert french.sections[1].title == "Le Forum mondial"
        arabic = build_reply_form(questionnaire, "ar")()
        assert arabic.fields["forum_useful"].label == "هل المنتدى العالمي نتيجة مفيدة؟"
        assert dict(arabic.fields["ideas"].choices)["dialogues"] == "حوارات دورية"
        assert arabic.text_direction == "rtl" and french.text_direction == "ltr"

    def test_missing_translation_falls_back_to_the_main_language(self):
        questionnaire = make_questionnaire(languages=["fr", "en"], default_language="fr")
        question = questionnaire.questions.get(code="views")
        question.text = {"fr": "Autres vues"}
        question.save()
        form = build_reply_form(questionnaire, "en")()
        assert form.fields["views"].label == "Autres vues"

    def test_validation_messages_in_the_form_language(self):
        questionnaire = make_questionnaire()
        with translation.override("en"):  # the page around the form is in English
            french = build_reply_form(questionnaire, "fr")(data={"migrants": "beaucoup"})
            assert french.errors["views"] == ["Ce champ est obligatoire."]
            assert french.errors["migrants"] == ["Saisissez un nombre."]
            arabic = build_reply_form(questionnaire, "ar")(data={})
            assert arabic.errors["views"] == ["هذا الحقل مطلوب."]
            chinese = build_reply_form(questionnaire, "zh-hans")(data={})
            assert chinese.errors["views"] == ["这个字段是必填项。"]

    def test_file_extension_and_size(self, settings):
        questionnaire = make_questionnaire()
        data = {"forum_useful": "no", "views": "None."}
        form_class = build_reply_form(questionnaire, "en")
        exe = form_class(data=data, files={"letter": SimpleUploadedFile("virus.exe", b"MZ")})
        assert not exe.is_valid()
        assert "File extension “exe” is not allowed" in exe.errors["letter"][0]
        pdf = form_class(data=data, files={"letter": SimpleUploadedFile("letter.PDF", b"%PDF")})
        assert pdf.is_valid(), pdf.errors
        settings.INQUIRY_MAX_UPLOAD_MB = 0.001  # about 1 KB
        big = form_class(data=data, files={"letter": SimpleUploadedFile("big.pdf", b"x" * 2000)})
        assert not big.is_valid()
        assert "too large" in big.errors["letter"][0]

    def test_default_size_limit_is_10_mb(self, settings):
        from surveys.reply_form import max_upload_bytes

        del settings.INQUIRY_MAX_UPLOAD_MB
        assert max_upload_bytes() == 10 * 1024 * 1024

    def test_disabled_form_for_the_preview(self):
        form = build_reply_form(make_questionnaire(), "en")().disable()
        assert all(f.disabled for f in form.fields.values())
        assert "disabled" in str(form["views"])

    def test_a_question_code_cannot_shadow_the_form(self):
        questionnaire = Questionnaire.objects.create(code="Q", title={"en": "Q"})
        for order, code in enumerate(["language", "questionnaire", "sections"]):
            Question.objects.create(questionnaire=questionnaire, code=code, order=order,
                                    text={"en": code})
        form = build_reply_form(questionnaire, "en")()
        assert list(form.fields) == ["language", "questionnaire", "sections"]
        assert form.language == "en" and len(form.sections) == 1

    def test_query_count_does_not_grow_with_questions(self, django_assert_max_num_queries):
        questionnaire = make_questionnaire()
        with django_assert_max_num_queries(3):
            str(build_reply_form(questionnaire, "fr")())

"""Coders at work: their own codings, exclusive groups, the coding screens, and the
keyword suggestions that count for nothing until a coder accepts them.

Replies are made with the reply service (as the portal makes them); the screens are
driven through the test client with staff holding only the coding permissions.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analysis import tallies
from analysis.models import Code, Coding, Suggestion
from analysis.services.coding import (
    coding_save,
    response_coding_save,
    suggestion_accept,
    suggestion_reject,
    suggestions_refresh,
)
from analysis.suggestions import matched_keywords, normalize
from surveys.models import Answer
from tests.analysis.test_codebook import make_codebook, make_survey, submitted_reply

FRENCH = {"forum_useful": "Le Forum mondial est un résultat UTILE du Dialogue.",
          "forum_sole_followup": "Oui, il devrait être la seule suite donnée au Dialogue.",
          "ga_followup": "Maintenir la question à l'ordre du jour."}
ENGLISH = {"forum_useful": "We see the Forum as a useful outcome, and have no opinion "
                           "on the rest.",
           "forum_sole_followup": "It should not be the sole follow-up.",
           "ga_followup": "Keep it on the agenda of the General Assembly."}
ARABIC = {"forum_useful": "ترى حكومتنا أن المنتدى نتيجةٌ مفيدة للحوار.",
          "ga_followup": "إبقاء البند على جدول أعمال الجمعية العامة."}
CHINESE = {"forum_useful": "我国政府认为全球论坛是对话的有益成果。",
           "ga_followup": "应将此项目保留在大会议程上。"}


def coder(username="coder", *codenames) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    codenames = codenames or ("add_coding", "view_coding")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="analysis",
                                                        codename__in=codenames))
    return user


@pytest.fixture
def survey(registry):
    questionnaire = make_survey()
    codes = make_codebook(questionnaire)
    replies = {
        "FRA": submitted_reply(questionnaire, registry["FRA"], FRENCH, language="fr"),
        "GBR": submitted_reply(questionnaire, registry["GBR"], ENGLISH),
        "EGY": submitted_reply(questionnaire, registry["EGY"], ARABIC, language="ar"),
        "CHN": submitted_reply(questionnaire, registry["CHN"], CHINESE, language="zh-hans"),
    }
    return questionnaire, codes, replies


def answer_of(response, question_code) -> Answer:
    return response.answers.select_related("question").get(question__code=question_code)


def screen_url(questionnaire, response):
    return reverse("admin:analysis_coding_reply", args=[questionnaire.pk, response.pk])


# --- the coding service -------------------------------------------------------------------------


@pytest.mark.django_db
def test_coding_save_records_the_coder_and_replaces_only_their_own_codings(survey):
    questionnaire, codes, replies = survey
    one, two = coder("one"), coder("two")
    answer = answer_of(replies["GBR"], "forum_useful")
    coding_save(answer=answer, codes=[codes["useful"], codes["forum"]], coder=two)

    change = coding_save(answer=answer, codes=[codes["useful"]], coder=one,
                         excerpts={codes["useful"].pk: "a useful outcome"})
    assert change.added == 1
    coding = Coding.objects.get(answer=answer, coder=one)
    assert (coding.code, coding.final, coding.excerpt) == (codes["useful"], False,
                                                           "a useful outcome")
    assert coding.history.get().history_user == one

    change = coding_save(answer=answer, codes=[codes["no_opinion"]], coder=one)
    assert (change.added, change.removed) == (1, 1)
    assert list(Coding.objects.filter(answer=answer, coder=one).values_list(
        "code__key", flat=True)) == ["no_opinion"]
    assert Coding.objects.filter(answer=answer, coder=two).count() == 2  # untouched
    removed = Coding.history.filter(history_type="-").get()
    assert removed.code_id == codes["useful"].pk and removed.history_user == one

    assert coding_save(answer=answer, codes=[codes["no_opinion"]], coder=one).added == 0


@pytest.mark.django_db
def test_an_exclusive_group_allows_one_code_per_answer_and_nothing_is_saved(survey):
    questionnaire, codes, replies = survey
    one = coder("one")
    answer = answer_of(replies["GBR"], "forum_useful")
    coding_save(answer=answer, codes=[codes["forum"]], coder=one)
    with pytest.raises(ValidationError) as error:
        coding_save(answer=answer, codes=[codes["useful"], codes["no_opinion"]], coder=one)
    assert "exclude each other (group “forum_outcome”)" in error.value.messages[0]
    assert list(Coding.objects.filter(coder=one).values_list("code__key", flat=True)) == [
        "forum"]

    # A code meant for another question is refused too.
    other = answer_of(replies["GBR"], "ga_followup")
    with pytest.raises(ValidationError, match="applies to another question"):
        coding_save(answer=other, codes=[codes["useful"]], coder=one)

    # Across a whole reply: every answer is checked before anything is written.
    with pytest.raises(ValidationError):
        response_coding_save(response=replies["GBR"], coder=one, codes_by_answer={
            other: [codes["ga_agenda"]],
            answer: [codes["useful"], codes["no_opinion"]]})
    assert not Coding.objects.filter(coder=one, code=codes["ga_agenda"]).exists()


# --- the coding screens -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_coding_screen_shows_answers_beside_the_codes_that_apply(client, survey):
    questionnaire, codes, replies = survey
    client.force_login(coder())
    page = client.get(screen_url(questionnaire, replies["EGY"]))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'lang="ar" dir="rtl"' in content
    assert ARABIC["forum_useful"] in content
    assert "هل المنتدى العالمي نتيجة مفيدة للحوار؟" in content  # the question, in Arabic
    blocks = page.context["blocks"]
    assert [b.answer.question.code for b in blocks] == ["forum_useful", "ga_followup"]
    # Codes for any question and for this question; children indented under parents.
    assert [(r.code.key, r.depth) for r in blocks[0].rows] == [
        ("forum", 0), ("useful", 1), ("no_opinion", 1)]
    assert [r.code.key for r in blocks[1].rows] == ["forum", "ga_agenda"]
    assert 'name="codes_' in content and 'type="checkbox"' in content
    assert 'accesskey="n"' in content and 'accesskey="s"' in content

    french = client.get(screen_url(questionnaire, replies["FRA"])).content.decode()
    assert 'lang="fr" dir="ltr"' in french
    assert "Le Forum mondial est-il un résultat utile du Dialogue ?" in french


@pytest.mark.django_db
def test_saving_on_the_screen_records_the_coder_and_goes_to_the_next_uncoded_reply(
        client, survey):
    questionnaire, codes, replies = survey
    user = coder()
    client.force_login(user)
    useful = answer_of(replies["FRA"], "forum_useful")
    sole = answer_of(replies["FRA"], "forum_sole_followup")
    url = screen_url(questionnaire, replies["FRA"])
    response = client.post(url, {
        f"codes_{useful.pk}": [codes["useful"].pk],
        f"excerpt_{useful.pk}_{codes['useful'].pk}": "un résultat UTILE",
        f"codes_{sole.pk}": [codes["sole_followup"].pk, codes["forum"].pk],
        "save_next": "Save and next uncoded reply"})
    assert response.status_code == 302
    saved = Coding.objects.filter(coder=user)
    assert sorted(saved.values_list("answer_id", "code__key", "final")) == sorted([
        (useful.pk, "useful", False), (sole.pk, "sole_followup", False),
        (sole.pk, "forum", False)])
    assert saved.get(code=codes["useful"]).excerpt == "un résultat UTILE"

    # The replies in list order (by State name): China, Egypt, France, United Kingdom.
    nxt = client.get(response["Location"])
    assert nxt.status_code == 302
    assert nxt["Location"] == screen_url(questionnaire, replies["GBR"])

    # Plain "Save" stays on the reply, and unticking removes the coding.
    again = client.post(url, {f"codes_{useful.pk}": [codes["useful"].pk], "save": "Save"})
    assert again["Location"] == url
    assert Coding.objects.filter(coder=user).count() == 1


@pytest.mark.django_db
def test_next_uncoded_skips_coded_replies_wraps_and_ends_on_the_list(client, survey):
    questionnaire, codes, replies = survey
    user = coder()
    client.force_login(user)
    for iso3 in ("CHN", "GBR"):
        answer = replies[iso3].answers.select_related("question").first()
        coding_save(answer=answer, codes=[codes["forum"]], coder=user)
    next_url = reverse("admin:analysis_coding_next", args=[questionnaire.pk])
    assert client.get(next_url)["Location"] == screen_url(questionnaire, replies["EGY"])
    assert client.get(f"{next_url}?after={replies['FRA'].pk}")["Location"] == screen_url(
        questionnaire, replies["EGY"])  # past the end, back to the start

    # Another coder's work does not count as mine.
    coding_save(answer=replies["EGY"].answers.select_related("question").first(),
                codes=[codes["forum"]], coder=coder("other"))
    assert client.get(next_url)["Location"] == screen_url(questionnaire, replies["EGY"])

    for iso3 in ("EGY", "FRA"):
        answer = replies[iso3].answers.select_related("question").first()
        coding_save(answer=answer, codes=[codes["forum"]], coder=user)
    done = client.get(next_url, follow=True)
    assert done.redirect_chain[-1][0] == reverse("admin:analysis_coding_replies",
                                                 args=[questionnaire.pk])
    assert "You have coded every reply" in done.content.decode()


@pytest.mark.django_db
def test_an_exclusive_group_on_the_screen_is_a_form_error_and_saves_nothing(client, survey):
    questionnaire, codes, replies = survey
    user = coder()
    client.force_login(user)
    useful = answer_of(replies["GBR"], "forum_useful")
    ga = answer_of(replies["GBR"], "ga_followup")
    page = client.post(screen_url(questionnaire, replies["GBR"]), {
        f"codes_{useful.pk}": [codes["useful"].pk, codes["no_opinion"].pk],
        f"codes_{ga.pk}": [codes["ga_agenda"].pk], "save_next": "x"})
    assert page.status_code == 200
    content = page.content.decode()
    assert "Nothing was saved" in content
    assert "exclude each other (group “forum_outcome”)" in content
    assert not Coding.objects.exists()
    # What the coder ticked is shown again, ticked.
    rows = {r.code.key: r.checked for r in page.context["blocks"][0].rows}
    assert rows == {"forum": False, "useful": True, "no_opinion": True}

    # A code of another question, forged into the form, is refused as well.
    forged = client.post(screen_url(questionnaire, replies["GBR"]), {
        f"codes_{ga.pk}": [codes["useful"].pk], "save": "x"})
    assert forged.status_code == 200 and not Coding.objects.exists()


@pytest.mark.django_db
def test_permissions_view_to_look_add_to_code(client, survey):
    questionnaire, codes, replies = survey
    url = screen_url(questionnaire, replies["GBR"])
    answer = answer_of(replies["GBR"], "forum_useful")
    data = {f"codes_{answer.pk}": [codes["useful"].pk], "save": "x"}

    client.force_login(coder("reader", "view_coding"))
    page = client.get(url)
    assert page.status_code == 200
    assert "disabled" in page.content.decode() and 'name="save_next"' not in page.content.decode()
    assert client.post(url, data).status_code == 403
    refresh = reverse("admin:analysis_coding_refresh", args=[questionnaire.pk])
    assert client.post(refresh).status_code == 403
    assert not Coding.objects.exists()

    client.force_login(coder("stranger", "view_code"))
    assert client.get(url).status_code == 403
    assert client.get(reverse("admin:analysis_coding_replies",
                              args=[questionnaire.pk])).status_code == 403

    client.force_login(coder("writer", "add_coding"))
    assert client.post(url, data).status_code == 302
    assert Coding.objects.get().coder.username == "writer"

    # A draft reply, or one of another questionnaire, has no coding screen.
    other = make_survey("HLD-2010")
    assert client.get(reverse("admin:analysis_coding_reply",
                              args=[other.pk, replies["GBR"].pk])).status_code == 404


@pytest.mark.django_db
def test_the_list_shows_my_progress_and_links_the_next_uncoded_reply(client, survey):
    questionnaire, codes, replies = survey
    user = coder()
    client.force_login(user)
    coding_save(answer=replies["CHN"].answers.select_related("question").first(),
                codes=[codes["forum"]], coder=user)
    page = client.get(reverse("admin:analysis_coding_replies", args=[questionnaire.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert "You have coded 1 of 4 submitted replies." in content
    assert [(r.recipient.state.iso3, r.mine) for r in page.context["replies"]] == [
        ("CHN", True), ("EGY", False), ("FRA", False), ("GBR", False)]
    assert "coded by you" in content and "not yet" in content
    assert page.context["next_uncoded"] == replies["EGY"]
    assert screen_url(questionnaire, replies["EGY"]) in content
    assert "Refresh suggestions" in content

    index = client.get(reverse("admin:analysis_coding_questionnaires"))
    assert index.status_code == 200 and "HLD-2008" in index.content.decode()
    assert client.get(reverse("admin:analysis_coding_changelist")).status_code == 200


# --- bounded queries ----------------------------------------------------------------------------


def _coding_world(registry, *, questions: int, codes: int, replies: int = 3):
    """A questionnaire of ``questions`` free-text questions and ``codes`` codes (half for
    any question, half for one, some nested, some grouped), with ``replies`` replies,
    some coded and some with suggestions."""
    texts = {f"q{i}": {"en": f"Question {i}?"} for i in range(questions)}
    questionnaire = make_survey(f"Q-{questions}-{codes}-{replies}", texts)
    question_list = list(questionnaire.questions.all())
    parent = None
    for i in range(codes):
        parent = Code.objects.create(
            questionnaire=questionnaire, key=f"c{i}", label=f"Code {i}", order=i,
            definition=f"Definition {i}", parent=parent if i % 3 else None,
            question=question_list[i % questions] if i % 2 else None,
            exclusive_group="g" if i < 2 else "", keywords=[f"word{i}"])
    states = ["FRA", "GBR", "EGY", "CHN", "SEN", "BRA"][:replies]
    responses = [submitted_reply(questionnaire, registry[iso3],
                                 {q.code: f"An answer with word{n} and word{n + 1}."
                                  for n, q in enumerate(question_list)})
                 for iso3 in states]
    suggestions_refresh(questionnaire=questionnaire)
    return questionnaire, responses


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


@pytest.mark.django_db
def test_the_coding_screen_runs_the_same_queries_whatever_the_answers_and_codes(
        client, registry):
    user = coder()
    client.force_login(user)
    counts = {}
    for questions, codes in [(2, 5), (5, 20)]:
        questionnaire, responses = _coding_world(registry, questions=questions, codes=codes)
        for answer in responses[0].answers.select_related("question"):
            applicable = [c for c in Code.objects.filter(questionnaire=questionnaire)
                          if c.question_id in (None, answer.question_id)]
            coding_save(answer=answer, codes=applicable[2:4], coder=user)
        page = client.get(screen_url(questionnaire, responses[0]))
        assert len(page.context["blocks"]) == questions
        assert any(r.suggestion for b in page.context["blocks"] for r in b.rows)
        counts[(questions, codes)] = _queries(client, screen_url(questionnaire, responses[0]))
    assert counts[(2, 5)] == counts[(5, 20)], counts
    assert counts[(2, 5)] <= 12, counts


@pytest.mark.django_db
def test_the_reply_list_runs_the_same_queries_whatever_the_replies(client, registry):
    client.force_login(coder())
    counts = []
    for replies in (2, 6):
        questionnaire, _responses = _coding_world(registry, questions=2, codes=4,
                                                  replies=replies)
        counts.append(_queries(client, reverse("admin:analysis_coding_replies",
                                               args=[questionnaire.pk])))
    assert counts[0] == counts[1], counts


# --- suggestions --------------------------------------------------------------------------------


def test_matching_ignores_case_and_accents_and_keeps_whole_words():
    assert normalize("Résultat  UTILE") == "resultat utile"
    assert matched_keywords("Un résultat UTILE.", ["resultat utile"]) == ["resultat utile"]
    assert matched_keywords("the sole follow up", ["sole follow-up"]) == ["sole follow-up"]
    assert matched_keywords("interregional meetings", ["regional"]) == []
    assert matched_keywords("regional, thematic", ["regional"]) == ["regional"]
    assert matched_keywords("Sin opinión", ["sin opinion"]) == ["sin opinion"]
    assert matched_keywords("Это полезный итог", ["ПОЛЕЗНЫЙ ИТОГ"]) == ["ПОЛЕЗНЫЙ ИТОГ"]
    # Arabic: vowel marks and hamza forms ignored; "and the ..." written as one word.
    assert matched_keywords("نتيجةٌ مفيدة", ["نتيجة مفيدة"]) == ["نتيجة مفيدة"]
    assert matched_keywords("والمنتدى مفيد", ["المنتدى"]) == ["المنتدى"]
    assert matched_keywords("للمنتدى", ["منتدى"]) == ["منتدى"]
    assert matched_keywords("إبقاء البند", ["ابقاء"]) == ["ابقاء"]
    assert matched_keywords("المنتديات", ["المنتدى"]) == []
    # Chinese: no spaces between words, so a substring; full-width letters folded.
    assert matched_keywords("全球论坛是对话的有益成果。", ["有益成果"]) == ["有益成果"]
    assert matched_keywords("ＷＴＯ的作用", ["wto"]) == ["wto"]
    assert matched_keywords("", ["anything"]) == []


@pytest.mark.django_db
def test_suggestions_are_found_in_english_french_arabic_and_chinese_answers(survey):
    questionnaire, codes, replies = survey
    result = suggestions_refresh(questionnaire=questionnaire)
    found = {(s.answer.response.recipient.state.iso3, s.code.key): s.matched
             for s in Suggestion.objects.select_related("answer__response__recipient__state",
                                                        "code")}
    assert found == {
        ("GBR", "useful"): "useful outcome",
        ("GBR", "no_opinion"): "no opinion",
        ("GBR", "sole_followup"): "sole follow-up",
        ("GBR", "ga_agenda"): "agenda",
        ("FRA", "useful"): "résultat utile",
        ("FRA", "sole_followup"): "seule suite",
        ("EGY", "useful"): "نتيجة مفيدة",
        ("CHN", "useful"): "有益成果",
    }
    assert (result.created, result.pending) == (8, 8)
    assert all(s.status == Suggestion.Status.PENDING for s in Suggestion.objects.all())

    # Idempotent; a rejected suggestion is never offered again; a stale one is withdrawn.
    again = suggestions_refresh(questionnaire=questionnaire)
    assert (again.created, again.withdrawn) == (0, 0)
    user = coder()
    suggestion_reject(suggestion=Suggestion.objects.get(code=codes["ga_agenda"]), user=user)
    codes["sole_followup"].keywords = ["seule suite"]
    codes["sole_followup"].save()
    third = suggestions_refresh(questionnaire=questionnaire)
    assert (third.created, third.withdrawn, third.pending) == (0, 1, 6)
    rejected = Suggestion.objects.get(code=codes["ga_agenda"])
    assert rejected.status == Suggestion.Status.REJECTED and rejected.decided_by == user


@pytest.mark.django_db
def test_a_draft_reply_gets_no_suggestion(registry):
    from surveys.services.recipients import recipients_add
    from surveys.services.responses import response_save

    questionnaire = make_survey()
    make_codebook(questionnaire)
    recipients_add(questionnaire=questionnaire, states=[registry["ITA"]])
    response_save(recipient=questionnaire.recipients.get(), data=ENGLISH, language="en",
                  submit=False)
    assert suggestions_refresh(questionnaire=questionnaire).created == 0


@pytest.mark.django_db
def test_accepting_makes_the_coders_own_coding_and_respects_exclusive_groups(survey):
    questionnaire, codes, replies = survey
    suggestions_refresh(questionnaire=questionnaire)
    user = coder()
    useful = Suggestion.objects.get(answer__response=replies["GBR"], code=codes["useful"])
    coding = suggestion_accept(suggestion=useful, user=user)
    assert (coding.coder, coding.final, coding.code) == (user, False, codes["useful"])
    useful.refresh_from_db()
    assert useful.status == Suggestion.Status.ACCEPTED and useful.decided_by == user
    with pytest.raises(ValidationError, match="already been decided"):
        suggestion_accept(suggestion=useful, user=user)

    # "No opinion" is in the same exclusive group as "useful": refused, still pending.
    no_opinion = Suggestion.objects.get(answer__response=replies["GBR"],
                                        code=codes["no_opinion"])
    with pytest.raises(ValidationError, match="exclude each other"):
        suggestion_accept(suggestion=no_opinion, user=user)
    no_opinion.refresh_from_db()
    assert no_opinion.status == Suggestion.Status.PENDING
    suggestion_reject(suggestion=no_opinion, user=user)
    assert Coding.objects.filter(coder=user).count() == 1


@pytest.mark.django_db
def test_suggestions_are_never_counted_until_reconciled(survey, admin_user):
    questionnaire, codes, replies = survey
    # One reconciled (final) coding exists already.
    Coding.objects.create(answer=answer_of(replies["FRA"], "forum_useful"),
                          code=codes["useful"], coder=admin_user, final=True)

    def counted():
        table = tallies.code_tally(questionnaire=questionnaire)
        return (Coding.objects.filter(final=True).count(),
                dict(zip(table["key"], table["count"], strict=True)))

    before = counted()
    assert before[0] == 1 and before[1]["useful"] == 1
    suggestions_refresh(questionnaire=questionnaire)
    assert Suggestion.objects.filter(status=Suggestion.Status.PENDING).count() == 8
    assert counted() == before  # pending suggestions count for nothing
    user = coder()
    for suggestion in Suggestion.objects.filter(code__key__in=["useful", "sole_followup"]):
        suggestion_accept(suggestion=suggestion, user=user)
    assert Coding.objects.filter(coder=user, final=False).count() == 6
    assert counted() == before  # accepted: the coder's own coding, not the final one


@pytest.mark.django_db
def test_the_screen_accepts_and_rejects_suggestions_and_refreshes_them(client, survey):
    questionnaire, codes, replies = survey
    user = coder()
    client.force_login(user)
    refreshed = client.post(reverse("admin:analysis_coding_refresh", args=[questionnaire.pk]),
                            follow=True)
    assert "Suggestions refreshed: 8 new" in refreshed.content.decode()

    url = screen_url(questionnaire, replies["GBR"])
    page = client.get(url)
    content = page.content.decode()
    useful = Suggestion.objects.get(answer__response=replies["GBR"], code=codes["useful"])
    sole = Suggestion.objects.get(answer__response=replies["GBR"], code=codes["sole_followup"])
    assert f'value="accept:{useful.pk}"' in content and f'value="reject:{sole.pk}"' in content
    assert "suggested" in content

    answer = useful.answer
    ga = answer_of(replies["GBR"], "ga_followup")
    accepted = client.post(url, {f"codes_{ga.pk}": [codes["ga_agenda"].pk],
                                 "decide": f"accept:{useful.pk}"})
    assert accepted.status_code == 302 and accepted["Location"] == f"{url}#answer-{answer.pk}"
    assert sorted(Coding.objects.filter(coder=user).values_list("code__key", flat=True)) == [
        "ga_agenda", "useful"]  # the ticks were saved with the decision
    useful.refresh_from_db()
    assert useful.status == Suggestion.Status.ACCEPTED

    rejected = client.post(url, {f"codes_{answer.pk}": [codes["useful"].pk],
                                 f"codes_{ga.pk}": [codes["ga_agenda"].pk],
                                 "decide": f"reject:{sole.pk}"})
    assert rejected.status_code == 302
    sole.refresh_from_db()
    assert sole.status == Suggestion.Status.REJECTED
    assert not Coding.objects.filter(code=codes["sole_followup"]).exists()

    # Accepting "no opinion" while "useful" is ticked: a form error, nothing changes.
    no_opinion = Suggestion.objects.get(answer=answer, code=codes["no_opinion"])
    clash = client.post(url, {f"codes_{answer.pk}": [codes["useful"].pk],
                              "decide": f"accept:{no_opinion.pk}"})
    assert clash.status_code == 200 and "exclude each other" in clash.content.decode()
    no_opinion.refresh_from_db()
    assert no_opinion.status == Suggestion.Status.PENDING
    assert Coding.objects.filter(coder=user).count() == 2

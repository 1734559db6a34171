"""Reconciliation: deciding disagreements into the final coding, accepting what all
coders agree on, keeping exclusive groups; and the staff page that does it."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from analysis.models import Coding
from analysis.services.reconcile import ReconcileError, reconcile_accept, reconcile_auto_agreed

from . import test_tallies
from .test_tallies import code_it, make_code, make_survey, reply

coders = test_tallies.coders  # fixture


@pytest.fixture
def states(registry):
    return [registry[iso3] for iso3 in ("ARG", "BRA", "CAN", "DNK")]


@pytest.fixture
def setup(states, coders, django_user_model):
    """Ann and Ben coded four States. Both applied "useful" to all four (Argentina's in
    two answers by Ann); they split on "sole" for Brazil (Ann) and Canada (Ben); Ann
    gave Denmark "no_opinion" where Ben gave "useful" — an exclusive group."""
    arg, bra, can, dnk = states
    ann, ben, _cai = coders
    questionnaire = make_survey(states=states)
    for state in states:
        reply(questionnaire, state)
    useful = make_code(questionnaire, "useful", question="q1", group="outcome", order=1)
    no_opinion = make_code(questionnaire, "no_opinion", question="q1", group="outcome", order=2)
    sole = make_code(questionnaire, "sole", question="q2", order=3)
    anywhere = make_code(questionnaire, "anywhere", order=4)
    for state in (arg, bra, can):
        code_it(useful, state, ann, excerpt=f"{state.iso3} finds it useful")
        code_it(useful, state, ben)
    code_it(useful, arg, ann, question="q2")
    code_it(no_opinion, dnk, ann)
    code_it(useful, dnk, ben)
    code_it(sole, bra, ann, question="q2")
    code_it(sole, can, ben, question="q2")
    reconciler = django_user_model.objects.create_user("rita")
    return {"q": questionnaire, "useful": useful, "no_opinion": no_opinion, "sole": sole,
            "anywhere": anywhere, "rita": reconciler}


def finals(questionnaire):
    return sorted(Coding.objects.filter(final=True, code__questionnaire=questionnaire)
                  .values_list("answer__response__recipient__state__iso3", "code__key",
                               "answer__question__code"))


# --- one decision -------------------------------------------------------------------------------


def test_apply_puts_the_code_in_the_final_coding_where_coders_applied_it(setup, states):
    q, rita = setup["q"], setup["rita"]
    done = reconcile_accept(questionnaire=q, user=rita, state=states[1], code=setup["sole"],
                            apply=True)
    assert done.created == 1
    assert finals(q) == [("BRA", "sole", "q2")]
    coding = Coding.objects.get(final=True)
    assert coding.coder == rita
    assert coding.history.first().history_user == rita
    # Deciding again changes nothing.
    assert reconcile_accept(questionnaire=q, user=rita, state=states[1], code=setup["sole"],
                            apply=True).created == 0


def test_apply_copies_an_excerpt_and_every_answer_coders_used(setup, states):
    q, rita = setup["q"], setup["rita"]
    reconcile_accept(questionnaire=q, user=rita, state=states[0], code=setup["useful"],
                     apply=True)
    assert finals(q) == [("ARG", "useful", "q1"), ("ARG", "useful", "q2")]
    assert Coding.objects.get(final=True, answer__question__code="q1").excerpt == \
        "ARG finds it useful"


def test_do_not_apply_removes_it_and_the_history_says_who(setup, states):
    q, rita = setup["q"], setup["rita"]
    reconcile_accept(questionnaire=q, user=rita, state=states[2], code=setup["sole"],
                     apply=True)
    done = reconcile_accept(questionnaire=q, user=rita, state=states[2], code=setup["sole"],
                            apply=False)
    assert done.removed == 1 and finals(q) == []
    removal = Coding.history.filter(history_type="-").get()
    assert removal.history_user == rita and removal.final
    # Not applying what is not there is fine.
    assert reconcile_accept(questionnaire=q, user=rita, state=states[2], code=setup["sole"],
                            apply=False).removed == 0


def test_a_code_nobody_applied_goes_on_the_answer_to_its_question(setup, states):
    q, rita = setup["q"], setup["rita"]
    reconcile_accept(questionnaire=q, user=rita, state=states[3], code=setup["sole"],
                     apply=True)
    assert finals(q) == [("DNK", "sole", "q2")]
    with pytest.raises(ReconcileError, match="say which answer"):
        reconcile_accept(questionnaire=q, user=rita, state=states[3], code=setup["anywhere"],
                         apply=True)


def test_exclusive_groups_refuse_a_second_code_for_one_state_and_question(setup, states):
    q, rita = setup["q"], setup["rita"]
    denmark = states[3]
    reconcile_accept(questionnaire=q, user=rita, state=denmark, code=setup["no_opinion"],
                     apply=True)
    with pytest.raises(ReconcileError, match="exclude each other") as error:
        reconcile_accept(questionnaire=q, user=rita, state=denmark, code=setup["useful"],
                         apply=True)
    assert "View no_opinion" in str(error.value) and "Remove it first" in str(error.value)
    assert finals(q) == [("DNK", "no_opinion", "q1")]  # nothing changed
    # Remove the one, then the other goes in.
    reconcile_accept(questionnaire=q, user=rita, state=denmark, code=setup["no_opinion"],
                     apply=False)
    reconcile_accept(questionnaire=q, user=rita, state=denmark, code=setup["useful"],
                     apply=True)
    assert finals(q) == [("DNK", "useful", "q1")]


def test_a_state_without_a_reply_or_a_code_of_another_codebook_is_refused(setup, registry):
    q, rita = setup["q"], setup["rita"]
    with pytest.raises(ReconcileError, match="has not submitted"):
        reconcile_accept(questionnaire=q, user=rita, state=registry["FRA"],
                         code=setup["sole"], apply=True)
    other = make_survey("OTHER")
    with pytest.raises(ReconcileError, match="not in the codebook"):
        reconcile_accept(questionnaire=other, user=rita, state=registry["ARG"],
                         code=setup["sole"], apply=True)


# --- accepting what all coders agree on ---------------------------------------------------------


def test_accept_agreed_copies_only_what_all_coders_applied_and_is_idempotent(setup):
    q, rita = setup["q"], setup["rita"]
    done = reconcile_auto_agreed(questionnaire=q, user=rita)
    # "useful" for Argentina (two answers), Brazil and Canada; not the split "sole", not
    # Denmark's useful / no opinion.
    assert finals(q) == [("ARG", "useful", "q1"), ("ARG", "useful", "q2"),
                         ("BRA", "useful", "q1"), ("CAN", "useful", "q1")]
    assert (done.created, done.units, done.already) == (4, 3, 0)
    assert done.disagreements == 4  # sole × BRA, CAN; useful and no_opinion × DNK
    assert set(Coding.objects.filter(final=True).values_list("coder__username", flat=True)) \
        == {"rita"}
    assert Coding.history.filter(final=True, history_type="+").count() == 4

    again = reconcile_auto_agreed(questionnaire=q, user=rita)
    assert (again.created, again.already) == (0, 3)
    assert len(finals(q)) == 4


def test_accept_agreed_does_not_put_back_what_a_person_removed(setup, states):
    q, rita = setup["q"], setup["rita"]
    reconcile_auto_agreed(questionnaire=q, user=rita)
    reconcile_accept(questionnaire=q, user=rita, state=states[2], code=setup["useful"],
                     apply=False)
    again = reconcile_auto_agreed(questionnaire=q, user=rita)
    assert again.created == 0 and again.kept_removed == 1
    assert ("CAN", "useful", "q1") not in finals(q)


def test_accept_agreed_leaves_an_exclusive_clash_to_a_person(setup, states, coders):
    q, rita = setup["q"], setup["rita"]
    ann, ben, _cai = coders
    code_it(setup["no_opinion"], states[0], ann)  # Ann and Ben both gave Argentina both
    code_it(setup["no_opinion"], states[0], ben)
    done = reconcile_auto_agreed(questionnaire=q, user=rita)
    assert done.conflicts == ["Argentina: “View no_opinion” / “View useful” exclude each "
                              "other (group “outcome”)."]
    assert not [f for f in finals(q) if f[0] == "ARG"]

    # A final coding already there counts too: Denmark's "no opinion" blocks "useful".
    Coding.objects.filter(final=True).delete()
    reconcile_accept(questionnaire=q, user=rita, state=states[3], code=setup["no_opinion"],
                     apply=True)
    code_it(setup["no_opinion"], states[3], ben)  # now both gave Denmark both
    code_it(setup["useful"], states[3], ann)
    done = reconcile_auto_agreed(questionnaire=q, user=rita)
    assert any(c.startswith("Denmark:") for c in done.conflicts)
    assert ("DNK", "useful", "q1") not in finals(q)


def test_accept_agreed_among_chosen_coders(setup, coders):
    q, rita = setup["q"], setup["rita"]
    done = reconcile_auto_agreed(questionnaire=q, user=rita, coders=[coders[0]])
    # One coder alone agrees with themself: all of Ann's coding goes in.
    assert ("BRA", "sole", "q2") in finals(q)
    assert ("DNK", "no_opinion", "q1") in finals(q)
    assert done.disagreements == 0


# --- the staff page -----------------------------------------------------------------------------


@pytest.fixture
def staff(django_user_model):
    made = []

    def make(*codenames):
        made.append(codenames)
        user = django_user_model.objects.create_user(f"staffer{len(made)}", is_staff=True)
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="analysis",
                                                            codename__in=codenames))
        return user
    return make


pytestmark_urls = pytest.mark.urls("tests.analysis.urls")


@pytestmark_urls
def test_page_shows_agreement_and_disagreements(setup, client, staff):
    client.force_login(staff("change_coding"))
    url = reverse("analysis:reconciliation", args=[setup["q"].pk])
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Cohen’s kappa" in page and "Krippendorff’s alpha" in page
    assert "Accept all agreed codings" in page
    assert page.count("Apply in final") == 4
    assert "Brazil" in page and "Canada answers q2." in page
    report = response.context["report"]
    assert [a.code.key for a in report.codes] == ["useful", "no_opinion", "sole", "anywhere"]
    assert len(response.context["disagreements"]) == 4


@pytestmark_urls
def test_page_buttons_decide_and_accept(setup, states, client, staff):
    user = staff("change_coding")
    client.force_login(user)
    q = setup["q"]
    page = reverse("analysis:reconciliation", args=[q.pk])
    response = client.post(reverse("analysis:reconcile_decide", args=[q.pk]), {
        "state": states[1].pk, "code": setup["sole"].pk, "apply": "1", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    assert finals(q) == [("BRA", "sole", "q2")]
    assert Coding.objects.get(final=True).coder == user

    response = client.post(reverse("analysis:reconcile_agreed", args=[q.pk]),
                           {"next": "https://evil.example/"}, follow=True)
    assert response.redirect_chain[-1][0] == page  # never off-site
    assert len(finals(q)) == 5
    text = response.content.decode()
    assert "4 final codings added" in text and "4 disagreements are left" in text

    # A refused decision says why and changes nothing.
    reconcile_accept(questionnaire=q, user=user, state=states[3], code=setup["no_opinion"],
                     apply=True)
    response = client.post(reverse("analysis:reconcile_decide", args=[q.pk]), {
        "state": states[3].pk, "code": setup["useful"].pk, "apply": "1",
        "next": f"{page}#disagreement-{states[3].pk}-{setup['useful'].pk}"})
    assert response["Location"] == page  # to the top, where the error shows
    response = client.get(page)
    assert "exclude each other" in response.content.decode()
    assert ("DNK", "useful", "q1") not in finals(q)


@pytestmark_urls
def test_page_permissions(setup, states, client, staff):
    q = setup["q"]
    url = reverse("analysis:reconciliation", args=[q.pk])
    assert client.get(url).status_code == 302  # to the admin login
    client.force_login(staff())
    assert client.get(url).status_code == 403
    client.logout()
    reader = staff("view_coding")
    client.force_login(reader)
    response = client.get(url)
    assert response.status_code == 200 and "Apply in final" not in response.content.decode()
    decide = reverse("analysis:reconcile_decide", args=[q.pk])
    assert client.post(decide, {"state": states[1].pk, "code": setup["sole"].pk,
                                "apply": "1"}).status_code == 403
    assert client.get(decide).status_code == 405
    assert finals(q) == []


@pytestmark_urls
def test_index_lists_questionnaires_with_a_codebook(setup, client, staff):
    make_survey("NO-CODES")
    client.force_login(staff("view_coding"))
    response = client.get(reverse("analysis:reconciliation_index"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "T-2008" in page and "NO-CODES" not in page


@pytestmark_urls
def test_page_runs_the_same_queries_for_few_and_many_states(registry, coders, client, staff,
                                                            django_assert_max_num_queries):
    from .test_tallies import _build, _queries

    client.force_login(staff("change_coding"))
    small, large = _build(registry, coders, 5, "S"), _build(registry, coders, 50, "L")

    def get(questionnaire):
        return client.get(reverse("analysis:reconciliation", args=[questionnaire.pk]))

    assert get(large).status_code == 200
    counts = (_queries(lambda: get(small)), _queries(lambda: get(large)))
    assert counts[0] == counts[1], counts
    # Measured: 16 (session and user, the agreement, the disagreements, the coders).
    with django_assert_max_num_queries(18):
        get(large)

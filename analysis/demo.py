"""The demo codebook of A/63/269 paragraphs 22-24, and the 2008 replies coded by two
coders and reconciled.

Coder one applies the views each demo reply was written to hold; coder two
disagrees on a few (State, view) units, as real coders do; the reconciled final
coding is what the report counts, so the tally reproduces paragraph 22.
"""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from analysis.models import Code, Coding, ReplyReview
from surveys.demo.contacts import language_of
from surveys.demo.replies_2008 import VIEWS, demo_replies
from surveys.models import Answer, Questionnaire, Response, State

# Where each view is expressed, and which views exclude each other.
VIEW_QUESTION = {
    "useful": "forum_useful", "no_opinion": "forum_useful",
    "special_consideration": "forum_useful", "more_time": "forum_useful",
    "sole_followup": "forum_sole_followup",
    "strengthen_link": "forum_un_relationship", "existing_structures": "forum_un_relationship",
    "ga_agenda": "ga_followup", "periodic_hld": "ga_followup",
    "regional_thematic": "regional_processes",
}
EXCLUSIVE = {"useful": "forum_outcome", "no_opinion": "forum_outcome"}
DEFINITIONS = {
    "useful": "The reply says the Global Forum is a useful or valuable outcome of the "
              "Dialogue.",
    "no_opinion": "The reply expresses no opinion, or says the Forum is not a formal outcome "
                  "of the Dialogue.",
    "sole_followup": "The reply wants the Forum to be the only follow-up to the Dialogue.",
    "strengthen_link": "The reply asks for a closer relationship between the Forum and the "
                       "United Nations.",
    "more_time": "The reply says the Forum should be given time before decisions are taken.",
    "ga_agenda": "The reply wants the item kept on the General Assembly's agenda.",
    "periodic_hld": "The reply asks for further high-level dialogues, held periodically.",
    "regional_thematic": "The reply supports regional or thematic meetings.",
    "special_consideration": "The reply asks that the Forum's ideas be specially considered.",
    "existing_structures": "The reply wants implementation through existing multilateral "
                           "structures.",
}
KEYWORDS = {
    "useful": ["useful outcome", "valuable platform", "résultat utile", "resultado útil"],
    "sole_followup": ["sole follow-up", "seule suite", "único seguimiento"],
    "ga_agenda": ["agenda of the General Assembly", "ordre du jour", "programa de la Asamblea"],
    "periodic_hld": ["second High-level Dialogue", "deuxième Dialogue", "segundo Diálogo"],
    "regional_thematic": ["regional", "régionales", "regionales"],
    "more_time": ["more time", "le temps de mûrir", "más tiempo"],
}
DISAGREEMENT_RATE = 0.04


def codebook_2008_create(questionnaire: Questionnaire) -> dict[str, Code]:
    questions = {q.code: q for q in questionnaire.questions.all()}
    codes = {}
    for order, (key, label) in enumerate(VIEWS.items(), start=1):
        codes[key] = Code.objects.create(
            questionnaire=questionnaire, question=questions[VIEW_QUESTION[key]], key=key,
            label=label, definition=DEFINITIONS[key], exclusive_group=EXCLUSIVE.get(key, ""),
            order=order, keywords=KEYWORDS.get(key, []))
    return codes


def _coders():
    user_model = get_user_model()
    coders = []
    for username in ("coder.one", "coder.two", "analyst"):
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"is_staff": True})
        if created:
            user.set_unusable_password()
            user.save()
        coders.append(user)
    return coders


@transaction.atomic
def coding_2008_load(questionnaire: Questionnaire) -> dict:
    """Codebook, two coders' codings and the reconciled coding (skipped if present)."""
    if questionnaire.codes.exists():
        return {"skipped": True}
    codes = codebook_2008_create(questionnaire)
    one, two, reconciler = _coders()
    members = list(State.objects.members().order_by("iso3").values_list("iso3", flat=True))
    replies, _declined = demo_replies(members, {iso3: language_of(iso3) for iso3 in members})
    answers = {(a.response.recipient.state.iso3, a.question.code): a
               for a in Answer.objects.filter(response__recipient__questionnaire=questionnaire)
               .select_related("response__recipient__state", "question")}
    rng = random.Random(1)  # noqa: S311 - a reproducible demo, not a secret
    rows, disagreements = [], 0
    for reply in replies:
        for key, code in codes.items():
            answer = answers[(reply.iso3, VIEW_QUESTION[key])]
            held = key in reply.views
            if held:
                rows.append(Coding(answer=answer, code=code, coder=one))
                rows.append(Coding(answer=answer, code=code, coder=reconciler, final=True))
            # Coder two misses or over-reads a view now and then.
            flip = rng.random() < DISAGREEMENT_RATE and not (key in EXCLUSIVE and not held)
            if held != flip:
                rows.append(Coding(answer=answer, code=code, coder=two))
            disagreements += flip
    Coding.objects.bulk_create(rows)
    # Both coders went through every reply (the coding screen records it, codes or none).
    now = timezone.now()
    ReplyReview.objects.bulk_create(
        ReplyReview(response=response, coder=coder, reviewed_at=now)
        for response in {a.response for a in answers.values()
                         if a.response.status == Response.Status.SUBMITTED}
        for coder in (one, two))
    return {"skipped": False, "codes": len(codes), "codings": len(rows),
            "disagreements": disagreements}

"""Admin: the coding screens, where a coder applies the codebook to the replies.

``Codings`` lists every coding (read-only: codings change only through the coding
screen, which checks exclusive groups). Its extra screens:

* ``replies/<questionnaire>/``: the submitted replies with the coder's progress,
  "next uncoded reply" and "refresh suggestions";
* ``replies/<questionnaire>/<response>/``: one reply's answers, each beside the
  codes that apply to its question, as checkboxes (with an optional excerpt and
  the keyword suggestions to accept or reject). Saving records the coder's own
  codings (never final) through :func:`analysis.services.coding.response_coding_save`.

Everything works without JavaScript and from the keyboard; ``coding.js`` adds
number shortcuts and Ctrl+Enter. The screen runs a fixed number of queries whatever
the number of answers and codes. Looking needs ``view_coding``; coding needs
``add_coding``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from analysis.models import Code, Coding, ReplyReview, Suggestion
from analysis.services.codebook import codes_in_tree_order
from analysis.services.coding import (
    coding_problems,
    response_coding_save,
    suggestion_accept,
    suggestion_reject,
    suggestions_refresh,
)
from surveys.languages import RTL_LANGUAGES, UN_LANGUAGES
from surveys.models import Answer, Question, Questionnaire, Response
from surveys.translated import translated

from .codebook import codebook_url

# --- reads shared by the screens --------------------------------------------------------------


def _replies(questionnaire: Questionnaire, user):
    """The submitted replies, by State name, each with ``mine`` (coded by ``user``: saved
    on the coding screen, or holding one of the user's codings)."""
    codings = Coding.objects.filter(answer__response=OuterRef("pk"), coder=user, final=False)
    reviewed = ReplyReview.objects.filter(response=OuterRef("pk"), coder=user)
    return (Response.objects
            .filter(recipient__questionnaire=questionnaire, status=Response.Status.SUBMITTED)
            .annotate(mine=Exists(codings) | Exists(reviewed))
            .order_by("recipient__state__name_en", "pk"))


def _count(queryset, field_name: str):
    rows = queryset.order_by().values(field_name).annotate(n=Count("pk", distinct=True)) \
        .values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _next_uncoded(questionnaire: Questionnaire, user, after: int | None = None) -> int | None:
    """The first reply ``user`` has not coded, after ``after`` in list order (wrapping)."""
    order = list(_replies(questionnaire, user).values_list("pk", "mine"))
    if after is not None and any(pk == after for pk, _mine in order):
        at = next(i for i, (pk, _mine) in enumerate(order) if pk == after)
        order = order[at + 1:] + order[:at]
    return next((pk for pk, mine in order if not mine), None)


def _answers_to_code(response: Response, codes: list[Code]) -> list[Answer]:
    """The answers a coder codes: free text (and any answer to a question with codes of
    its own), never an empty one; in the order of the questionnaire."""
    own = {c.question_id for c in codes if c.question_id}
    answers = (response.answers.select_related("question")
               .order_by(F("question__section__order").asc(nulls_first=True),
                         "question__section_id", "question__order", "question_id"))
    return [a for a in answers
            if a.text.strip() and (a.question.type == Question.Type.TEXT
                                   or a.question_id in own)]


# --- the coding form --------------------------------------------------------------------------


class ReplyCodingForm(forms.Form):
    """The codes ticked for each answer of a reply, their excerpts, and a suggestion decision.

    Field names: ``codes_<answer>`` (code ids), ``excerpt_<answer>_<code>``, and
    ``decide`` = ``accept:<suggestion>`` or ``reject:<suggestion>`` (the button pressed).
    """

    decide = forms.CharField(required=False)

    def __init__(self, *args, answers, trees, suggestions, **kwargs):
        super().__init__(*args, **kwargs)
        self.answers, self.trees, self.suggestions = answers, trees, suggestions
        self.codes = {code.pk: code for tree in trees.values() for code, _depth in tree}
        for answer in answers:
            tree = trees[answer.pk]
            self.fields[f"codes_{answer.pk}"] = forms.TypedMultipleChoiceField(
                coerce=int, required=False, choices=[(c.pk, c.label) for c, _d in tree],
                error_messages={"invalid_choice": _("A code ticked does not apply to this "
                                                    "answer; reload the page.")})
            for code, _depth in tree:
                self.fields[f"excerpt_{answer.pk}_{code.pk}"] = forms.CharField(
                    required=False, max_length=2000)

    def clean_decide(self):
        value = self.cleaned_data["decide"]
        if not value:
            return None
        verb, _sep, number = value.partition(":")
        suggestion = self.suggestions.get(int(number)) if number.isdigit() else None
        if verb not in ("accept", "reject") or suggestion is None:
            raise ValidationError(_("This suggestion has been decided already; reload the "
                                    "page."))
        return verb, suggestion

    def clean(self):
        cleaned = super().clean()
        decision = cleaned.get("decide")
        for answer in self.answers:
            name = f"codes_{answer.pk}"
            if name not in cleaned:
                continue
            codes = [self.codes[pk] for pk in cleaned[name]]
            if decision and decision[0] == "accept" and decision[1].answer_id == answer.pk \
                    and decision[1].code not in codes:
                codes.append(decision[1].code)
                cleaned[name] = [*cleaned[name], decision[1].code_id]
            for problem in coding_problems(answer=answer, codes=codes):
                self.add_error(name, problem)
        return cleaned

    def codes_by_answer(self) -> dict[Answer, list[Code]]:
        return {a: [self.codes[pk] for pk in self.cleaned_data[f"codes_{a.pk}"]]
                for a in self.answers}

    def excerpts(self) -> dict[tuple[int, int], str]:
        out = {}
        for answer in self.answers:
            for pk in self.cleaned_data[f"codes_{answer.pk}"]:
                text = self.cleaned_data.get(f"excerpt_{answer.pk}_{pk}", "")
                if text:
                    out[(answer.pk, pk)] = text
        return out


@dataclass
class CodeRow:
    code: Code
    depth: int
    checked: bool
    excerpt: str
    suggestion: Suggestion | None
    field_name: str
    excerpt_name: str
    number: int


@dataclass
class AnswerBlock:
    answer: Answer
    question_text: str
    field_name: str
    errors: list = field(default_factory=list)
    rows: list[CodeRow] = field(default_factory=list)


# --- the admin --------------------------------------------------------------------------------


@admin.register(Coding)
class CodingAdmin(admin.ModelAdmin):
    list_display = ["code", "state", "question", "coder", "final", "created_at"]
    list_filter = ["final", "code__questionnaire", "coder"]
    list_select_related = ["code", "coder", "answer__question",
                           "answer__response__recipient__state"]
    search_fields = ["code__key", "code__label", "answer__response__recipient__state__name_en",
                     "coder__username"]
    date_hierarchy = "created_at"

    # Codings are made on the coding screen, which checks exclusive groups; the
    # generic forms would not.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("State"),
                   ordering="answer__response__recipient__state__name_en")
    def state(self, obj):
        return obj.answer.response.recipient.state

    @admin.display(description=gettext_lazy("question"), ordering="answer__question__code")
    def question(self, obj):
        return obj.answer.question.code

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("replies/", wrap(self.questionnaires_view),
                 name="analysis_coding_questionnaires"),
            path("replies/<int:questionnaire_id>/", wrap(self.replies_view),
                 name="analysis_coding_replies"),
            path("replies/<int:questionnaire_id>/next/", wrap(self.next_view),
                 name="analysis_coding_next"),
            path("replies/<int:questionnaire_id>/suggestions/", wrap(self.refresh_view),
                 name="analysis_coding_refresh"),
            path("replies/<int:questionnaire_id>/<int:response_id>/", wrap(self.reply_view),
                 name="analysis_coding_reply"),
            *super().get_urls(),
        ]

    # --- permissions and frame ---

    def _can_look(self, request) -> bool:
        user = request.user
        return user.has_perm("analysis.view_coding") or user.has_perm("analysis.add_coding")

    def _can_code(self, request) -> bool:
        return request.user.has_perm("analysis.add_coding")

    def _questionnaire(self, request, questionnaire_id) -> Questionnaire:
        if not self._can_look(request):
            raise PermissionDenied
        return get_object_or_404(Questionnaire, pk=questionnaire_id)

    def _context(self, request, title, **extra):
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title,
                "has_view_permission": True, "can_code": self._can_code(request), **extra}

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "coding_url": reverse("admin:analysis_coding_questionnaires")}
        return super().changelist_view(request, extra_context)

    # --- screens ---

    def questionnaires_view(self, request):
        """Which questionnaire to code: those with submitted replies or a codebook."""
        if not self._can_look(request):
            raise PermissionDenied
        submitted = Response.objects.filter(recipient__questionnaire=OuterRef("pk"),
                                            status=Response.Status.SUBMITTED)
        questionnaires = (Questionnaire.objects
                          .annotate(replies=_count(submitted, "recipient__questionnaire"),
                                    codes_count=_count(Code.objects.filter(
                                        questionnaire=OuterRef("pk")), "questionnaire"))
                          .filter(Q(replies__gt=0) | Q(codes_count__gt=0)))
        context = self._context(request, _("Code replies"), questionnaires=questionnaires)
        return TemplateResponse(request, "analysis/coding/questionnaires.html", context)

    def replies_view(self, request, questionnaire_id):
        questionnaire = self._questionnaire(request, questionnaire_id)
        coders = (Coding.objects.filter(answer__response=OuterRef("pk"), final=False)
                  .order_by().values("answer__response").annotate(n=Count("coder",
                                                                          distinct=True))
                  .values("n"))
        pending = (Suggestion.objects.filter(answer__response=OuterRef("pk"),
                                             status=Suggestion.Status.PENDING)
                   .order_by().values("answer__response").annotate(n=Count("pk")).values("n"))
        replies = list(_replies(questionnaire, request.user)
                       .select_related("recipient__state")
                       .annotate(coders=Coalesce(Subquery(coders, output_field=IntegerField()),
                                                 0),
                                 pending=Coalesce(Subquery(pending,
                                                           output_field=IntegerField()), 0)))
        coded = sum(1 for r in replies if r.mine)
        codes = Code.objects.filter(questionnaire=questionnaire).count()
        names = dict(UN_LANGUAGES)
        for reply in replies:
            reply.language_name = names.get(reply.language, reply.language)
        context = self._context(
            request, _("Code the replies to %(code)s") % {"code": questionnaire.code},
            questionnaire=questionnaire, replies=replies, coded=coded, codes=codes,
            next_uncoded=next((r for r in replies if not r.mine), None),
            codebook_url=codebook_url(questionnaire.pk),
            pending=sum(r.pending for r in replies))
        return TemplateResponse(request, "analysis/coding/replies.html", context)

    def next_view(self, request, questionnaire_id):
        questionnaire = self._questionnaire(request, questionnaire_id)
        after = request.GET.get("after", "")
        target = _next_uncoded(questionnaire, request.user,
                               int(after) if after.isdigit() else None)
        if target is None:
            self.message_user(request, _("You have coded every reply to %(code)s.")
                              % {"code": questionnaire.code}, messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:analysis_coding_replies",
                                                args=[questionnaire.pk]))
        return HttpResponseRedirect(reverse("admin:analysis_coding_reply",
                                            args=[questionnaire.pk, target]))

    def refresh_view(self, request, questionnaire_id):
        questionnaire = self._questionnaire(request, questionnaire_id)
        if request.method != "POST" or not self._can_code(request):
            raise PermissionDenied
        result = suggestions_refresh(questionnaire=questionnaire)
        self.message_user(request, _(
            "Suggestions refreshed: %(created)s new, %(withdrawn)s withdrawn, %(pending)s to "
            "review. They count for nothing until a coder accepts them.")
            % {"created": result.created, "withdrawn": result.withdrawn,
               "pending": result.pending}, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:analysis_coding_replies",
                                            args=[questionnaire.pk]))

    def reply_view(self, request, questionnaire_id, response_id):
        questionnaire = self._questionnaire(request, questionnaire_id)
        if request.method == "POST" and not self._can_code(request):
            raise PermissionDenied
        response = (Response.objects.select_related("recipient__state")
                    .filter(pk=response_id, recipient__questionnaire=questionnaire,
                            status=Response.Status.SUBMITTED).first())
        if response is None:
            raise Http404(_("No submitted reply has this address."))
        codes = list(Code.objects.filter(questionnaire=questionnaire))
        answers = _answers_to_code(response, codes)
        trees = {a.pk: codes_in_tree_order(
            [c for c in codes if c.question_id in (None, a.question_id)]) for a in answers}
        mine = {(c.answer_id, c.code_id): c for c in Coding.objects.filter(
            answer__in=answers, coder=request.user, final=False)}
        suggestions = {s.pk: s for s in Suggestion.objects.filter(
            answer__in=answers, status=Suggestion.Status.PENDING).select_related("code")}

        form = ReplyCodingForm(request.POST or None, answers=answers, trees=trees,
                               suggestions=suggestions)
        if request.method == "POST" and form.is_valid():
            decision = form.cleaned_data["decide"]
            try:
                with transaction.atomic():  # the codes and the decision, or nothing
                    change = response_coding_save(
                        response=response, coder=request.user,
                        codes_by_answer=form.codes_by_answer(), excerpts=form.excerpts())
                    if decision and decision[0] == "accept":
                        suggestion_accept(suggestion=decision[1], user=request.user)
                    elif decision:
                        suggestion_reject(suggestion=decision[1], user=request.user)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            except IntegrityError:  # the same coder saved this reply meanwhile, in another tab
                form.add_error(None, _("Your coding of this reply was saved meanwhile, perhaps "
                                       "in another tab: reload the page and code again."))
            else:
                return self._after_save(request, questionnaire, response, change, decision)

        context = self._context(
            request, _("Coding: %(state)s") % {"state": response.recipient.state.name()},
            questionnaire=questionnaire, response=response, form=form,
            blocks=self._blocks(form, answers, trees, mine, suggestions, response,
                                questionnaire),
            language=response.language,
            direction="rtl" if response.language in RTL_LANGUAGES else "ltr",
            language_name=dict(UN_LANGUAGES).get(response.language, response.language),
            position=self._position(questionnaire, request.user, response),
            codebook_url=codebook_url(questionnaire.pk))
        return TemplateResponse(request, "analysis/coding/reply.html", context)

    def _after_save(self, request, questionnaire, response, change, decision):
        if decision:
            message = (_("Suggestion “%(label)s” accepted; your codes for this reply are "
                         "saved.") if decision[0] == "accept" else
                       _("Suggestion “%(label)s” rejected; your codes for this reply are "
                         "saved."))
            self.message_user(request, message % {"label": decision[1].code.label},
                              messages.SUCCESS)
            url = reverse("admin:analysis_coding_reply", args=[questionnaire.pk, response.pk])
            return HttpResponseRedirect(f"{url}#answer-{decision[1].answer_id}")
        self.message_user(request, ngettext(
            "Coding of %(state)s saved: %(added)s added, %(removed)s removed, %(updated)s "
            "excerpt changed.",
            "Coding of %(state)s saved: %(added)s added, %(removed)s removed, %(updated)s "
            "excerpts changed.", change.updated)
                          % {"state": response.recipient.state.name(), "added": change.added,
                             "removed": change.removed, "updated": change.updated},
                          messages.SUCCESS)
        if "save_next" in request.POST:
            url = reverse("admin:analysis_coding_next", args=[questionnaire.pk])
            return HttpResponseRedirect(f"{url}?after={response.pk}")
        return HttpResponseRedirect(reverse("admin:analysis_coding_reply",
                                            args=[questionnaire.pk, response.pk]))

    def _position(self, questionnaire, user, response) -> dict:
        """Where this reply sits in the list: its number, the previous and next ones."""
        order = list(_replies(questionnaire, user).values_list("pk", "mine"))
        ids = [pk for pk, _mine in order]
        at = ids.index(response.pk)
        return {"number": at + 1, "total": len(ids),
                "coded": sum(1 for _pk, mine in order if mine),
                "previous": ids[at - 1] if at > 0 else None,
                "next": ids[at + 1] if at + 1 < len(ids) else None}

    def _blocks(self, form, answers, trees, mine, suggestions, response,
                questionnaire) -> list[AnswerBlock]:
        language = response.language
        by_pair = {(s.answer_id, s.code_id): s for s in suggestions.values()}
        blocks = []
        for answer in answers:
            name = f"codes_{answer.pk}"
            block = AnswerBlock(
                answer=answer, field_name=name, errors=form.errors.get(name, []),
                question_text=translated(answer.question.text, language,
                                         questionnaire.default_language))
            ticked = {str(v) for v in form.data.getlist(name)} if form.is_bound else None
            for number, (code, depth) in enumerate(trees[answer.pk], start=1):
                pair = (answer.pk, code.pk)
                excerpt_name = f"excerpt_{answer.pk}_{code.pk}"
                if form.is_bound:
                    checked = str(code.pk) in ticked
                    excerpt = form.data.get(excerpt_name, "")
                else:
                    checked = pair in mine
                    excerpt = mine[pair].excerpt if pair in mine else ""
                block.rows.append(CodeRow(
                    code=code, depth=depth, checked=checked, excerpt=excerpt,
                    suggestion=by_pair.get(pair), field_name=name, excerpt_name=excerpt_name,
                    number=number))
            blocks.append(block)
        return blocks

"""The role matrix of surveys/roles.py, checked page by page and action by action.

For every registered ModelAdmin (Inquiry's, post_office's, auth's): the changelist,
add, change, delete and history pages, every extra URL of ``get_urls()`` and every
admin action; for every staff page of analysis/urls.py and analysis/urls_report.py;
and for the admin site's own pages: a member of each group (Survey manager, Coder,
Reader) and a member of staff without a group get what surveys/roles.py says, and
nothing else. The expectations are generated from roles.py; the pages and actions
are discovered from the URL configuration and the admin site, and a page or action
that roles.py does not declare fails the tests: adding one means deciding who may
use it.
"""

from __future__ import annotations

import datetime
import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.views.generic import RedirectView
from openpyxl import load_workbook
from post_office.models import Attachment as MailAttachment
from post_office.models import Email, EmailTemplate, Log

from analysis.models import Coding
from analysis.services.coding import coding_save
from surveys import roles
from surveys.models import Attachment, Dispatch, FollowUp, Message, Response
from surveys.services.dispatch import dispatch_create
from tests.analysis.test_codebook import QUESTIONS, make_codebook, make_survey, submitted_reply
from tests.surveys.test_dispatch import ensure_message_templates, make_contacts

ROOT = Path(__file__).resolve().parents[1]
STANDARD_PAGES = ("changelist", "add", "change", "delete", "history")
# The admin's own rules, which roles.py names but does not spell out per page.
APP_LIST, AUTOCOMPLETE = "admin:app_list", "admin:autocomplete"
NO_GROUP = "staff without a group"
PEOPLE = [roles.SURVEY_MANAGER, roles.CODER, roles.READER, NO_GROUP]


# --- the world every page is opened on ---------------------------------------------------------


@dataclass
class World:
    objects: dict  # model label -> one instance, for the change, delete and history pages
    questionnaire: object
    response: Response
    dispatch: Dispatch
    email: Email
    attachment: Attachment
    code: object
    users: dict = field(default_factory=dict)


@pytest.fixture
def world(registry) -> World:
    ensure_message_templates()
    questionnaire = make_survey()
    codes = make_codebook(questionnaire)
    france = registry["FRA"]
    contacts = make_contacts(france, language="fr")
    response = submitted_reply(questionnaire, france, {code: f"Réponse {code}."
                                                       for code in QUESTIONS}, language="fr")
    recipient = response.recipient
    dispatch = dispatch_create(questionnaire=questionnaire, kind=Dispatch.Kind.INVITATION,
                               channels=[Message.Channel.EMAIL, Message.Channel.FAX],
                               recipients=[recipient])
    message = dispatch.messages.filter(channel=Message.Channel.EMAIL).first()
    email = message.email
    attachment = Attachment.objects.create(
        response=response, file=ContentFile(b"%PDF-1.4 letter", name="letter.pdf"),
        original_name="Note verbale.pdf", content_type="application/pdf", size=15)
    mail_attachment = MailAttachment.objects.create(
        file=ContentFile(b"annex", name="annex.txt"), name="annex.txt")
    first_coder = User.objects.create_user("first-coder", is_staff=True)
    answer = response.answers.first()
    coding_save(answer=answer, codes=[codes["useful"]], coder=first_coder)
    follow_up = FollowUp.objects.create(recipient=recipient, happened_at=timezone.now(),
                                        outcome=FollowUp.Outcome.REACHED)
    users = {}
    for person in PEOPLE:
        user = User.objects.create_user(re.sub(r"\W+", "-", person.lower()), is_staff=True)
        if person != NO_GROUP:
            user.groups.add(Group.objects.get(name=person))
        users[person] = user
    objects = {
        "auth.group": Group.objects.get(name=roles.READER),
        "auth.user": first_coder,
        "post_office.email": email,
        "post_office.log": Log.objects.create(email=email, status=0, message="Sent."),
        "post_office.emailtemplate": EmailTemplate.objects.filter(language="").first(),
        "post_office.attachment": mail_attachment,
        "surveys.contact": contacts["mission"],
        "surveys.recipient": recipient,
        "surveys.dispatch": dispatch,
        "surveys.message": message,
        "surveys.followup": follow_up,
        "surveys.question": questionnaire.questions.first(),
        "surveys.questionnaire": questionnaire,
        "surveys.state": france,
        "surveys.response": response,
        "analysis.code": codes["useful"],
        "analysis.coding": Coding.objects.get(coder=first_coder),
    }
    return World(objects=objects, questionnaire=questionnaire, response=response,
                 dispatch=dispatch, email=email, attachment=attachment, code=codes["useful"],
                 users=users)


def permissions_of(person: str) -> frozenset[str]:
    return roles.GROUPS.get(person, frozenset())


def client_for(user) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(user)
    return client


# --- what exists: pages and actions, discovered ------------------------------------------------


def _walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace \
                else (entry.namespace or namespace)
            yield from _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}:{entry.name}" if entry.name else None), entry


def discovered_pages() -> set[str]:
    """Every named URL of the project, outside the public portal."""
    names = set()
    for name, pattern in _walk(get_resolver().url_patterns):
        if name is None:
            # Unnamed: the admin's redirect from <id>/ to <id>/change/ and its catch-all
            # (a redirect or a 404): they open nothing themselves.
            view = pattern.callback
            assert getattr(view, "view_class", None) is RedirectView \
                or view.__name__ == "catch_all_view", pattern
            continue
        if name.split(":")[0] not in roles.PUBLIC_NAMESPACES:
            names.add(name)
    return names


def registered() -> dict[str, admin.ModelAdmin]:
    return {model._meta.label_lower: model_admin
            for model, model_admin in admin.site._registry.items()}


def standard_name(label: str, page: str) -> str:
    app, model = label.split(".")
    return f"admin:{app}_{model}_{page}"


def declared_pages() -> set[str]:
    standard = {standard_name(label, page) for label in registered() for page in STANDARD_PAGES}
    return standard | set(roles.SCREENS) | {APP_LIST, AUTOCOMPLETE}


def superuser_request():
    request = RequestFactory().get("/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    return request


def test_every_page_is_declared_in_the_matrix():
    found, declared = discovered_pages(), declared_pages()
    assert not found - declared, (
        f"Pages nobody decided on (add them to surveys/roles.py): {sorted(found - declared)}")
    assert not declared - found, f"Declared pages that do not exist: {sorted(declared - found)}"
    assert set(roles.STANDARD_EXCEPTIONS) <= declared
    for label, pages in roles.CLOSED.items():
        assert label in registered() and pages <= set(STANDARD_PAGES), label


def test_every_action_is_declared_in_the_matrix():
    request = superuser_request()
    for label, model_admin in registered().items():
        actions = set(model_admin.get_actions(request))
        declared = set(roles.ACTIONS.get(label, {}))
        # Django's "delete_selected" comes with the permission to delete.
        if "delete" not in roles.CLOSED.get(label, ()):
            declared.add("delete_selected")
        assert actions == declared, f"{label}: actions {sorted(actions)}, declared " \
                                    f"{sorted(declared)} (surveys/roles.py ACTIONS)"
    assert set(roles.ACTIONS) <= set(registered())


# --- how to open each page ---------------------------------------------------------------------


@dataclass
class Visit:
    url: str
    method: str = "get"
    data: dict = field(default_factory=dict)
    ok: frozenset = frozenset({200})  # the status for someone allowed
    fresh_client: bool = False  # e.g. logging out: on a client of its own


def get(url, *, ok=(200,), **kwargs):
    return Visit(url, ok=frozenset(ok), **kwargs)


def post(url, data=None, *, ok=(302,), **kwargs):
    return Visit(url, "post", data or {}, ok=frozenset(ok), **kwargs)


def screen_visits(w: World) -> dict[str, Visit]:
    """How to reach each screen of roles.SCREENS, on the objects of ``w``."""
    q, r, d, e = w.questionnaire.pk, w.response.pk, w.dispatch.pk, w.email.pk
    history_id = w.response.history.order_by("history_id").first().history_id
    state = w.objects["surveys.state"]
    site_type = ContentType.objects.get_for_model(state)
    return {
        "admin:index": get(reverse("admin:index")),
        "admin:login": get(reverse("admin:login"), ok=(302,)),  # signed in: to the index
        "admin:logout": post(reverse("admin:logout"), ok=(200,), fresh_client=True),
        "admin:password_change": get(reverse("admin:password_change")),
        "admin:password_change_done": get(reverse("admin:password_change_done")),
        "admin:jsi18n": get(reverse("admin:jsi18n")),
        # States have no page of their own outside the admin: "not found" for everyone.
        "admin:view_on_site": get(reverse("admin:view_on_site", args=[site_type.pk, state.pk]),
                                  ok=(404,)),
        "admin:surveys_contact_import": get(reverse("admin:surveys_contact_import")),
        "admin:surveys_contact_process_import": post(
            reverse("admin:surveys_contact_process_import"), ok=(200, 302)),
        "admin:surveys_contact_export": get(reverse("admin:surveys_contact_export")),
        "admin:surveys_recipient_add_bulk": get(reverse("admin:surveys_recipient_add_bulk")),
        "admin:surveys_dispatch_letters": get(reverse("admin:surveys_dispatch_letters",
                                                      args=[d, "fax"])),
        "admin:surveys_dispatch_mark_sent": get(reverse("admin:surveys_dispatch_mark_sent",
                                                        args=[d, "fax"])),
        "admin:surveys_questionnaire_import_xlsform": get(
            reverse("admin:surveys_questionnaire_import_xlsform")),
        "admin:surveys_questionnaire_preview": get(
            reverse("admin:surveys_questionnaire_preview", args=[q, "en"])),
        "admin:surveys_questionnaire_xlsform": get(reverse("admin:surveys_questionnaire_xlsform",
                                                           args=[q])),
        "admin:surveys_questionnaire_status": get(reverse("admin:surveys_questionnaire_status",
                                                          args=[q])),
        "admin:surveys_questionnaire_status_export": get(
            reverse("admin:surveys_questionnaire_status_export", args=[q])),
        "admin:surveys_questionnaire_calls": get(reverse("admin:surveys_questionnaire_calls",
                                                         args=[q])),
        "admin:surveys_response_enter": get(reverse("admin:surveys_response_enter")
                                            + f"?questionnaire={q}"),
        "admin:surveys_response_enter_version": get(
            reverse("admin:surveys_response_enter_version", args=[r])),
        "admin:surveys_response_import": get(reverse("admin:surveys_response_import")),
        "admin:surveys_response_export": get(reverse("admin:surveys_response_export")
                                             + f"?questionnaire={q}&layout=wide&format=csv"),
        "admin:surveys_response_attachment": get(reverse("admin:surveys_response_attachment",
                                                         args=[w.attachment.pk])),
        "admin:surveys_response_simple_history": get(
            reverse("admin:surveys_response_simple_history", args=[r, history_id])),
        "admin:analysis_code_import": get(reverse("admin:analysis_code_import")),
        "admin:analysis_code_export_xlsx": get(reverse("admin:analysis_code_export_xlsx",
                                                       args=[q])),
        "admin:analysis_code_export_qdc": get(reverse("admin:analysis_code_export_qdc",
                                                      args=[q])),
        "admin:analysis_coding_questionnaires": get(
            reverse("admin:analysis_coding_questionnaires")),
        "admin:analysis_coding_replies": get(reverse("admin:analysis_coding_replies",
                                                     args=[q])),
        "admin:analysis_coding_next": get(reverse("admin:analysis_coding_next", args=[q]),
                                          ok=(302,)),
        "admin:analysis_coding_reply": get(reverse("admin:analysis_coding_reply",
                                                   args=[q, r])),
        "admin:analysis_coding_refresh": post(reverse("admin:analysis_coding_refresh",
                                                      args=[q])),
        "analysis:reconciliation_index": get(reverse("analysis:reconciliation_index")),
        "analysis:reconciliation": get(reverse("analysis:reconciliation", args=[q])),
        "analysis:reconcile_decide": post(reverse("analysis:reconcile_decide", args=[q]), {
            "state": state.pk, "code": w.code.pk, "apply": "1"}),
        "analysis:reconcile_agreed": post(reverse("analysis:reconcile_agreed", args=[q])),
        "report:index": get(reverse("report:index")),
        "report:page": get(reverse("report:page", args=[q])),
        "report:workbook": get(reverse("report:workbook", args=[q])),
        "report:chart": get(reverse("report:chart", args=[q, "views", "svg"])),
        "admin:post_office_email_image": get(
            reverse("admin:post_office_email_image", args=[e, "0" * 32]), ok=(404,)),
        # A plain-text e-mail has no HTML to preview: "not found", past the permission check.
        "admin:post_office_email_preview": get(reverse("admin:post_office_email_preview",
                                                       args=[e]), ok=(200, 404)),
        "admin:resend": post(reverse("admin:resend", args=[e])),
        "admin:auth_user_password_change": get(
            reverse("admin:auth_user_password_change", args=[w.objects["auth.user"].pk])),
    }


@dataclass
class Expectation:
    name: str
    visit: Visit
    allowed: bool

    def status(self) -> set[int]:
        return set(self.visit.ok) if self.allowed else {403}


def expectations(w: World, person: str) -> list[Expectation]:
    """Every page, with what ``person`` should get, from surveys/roles.py."""
    permissions = permissions_of(person)
    out = []
    for label, model_admin in registered().items():
        app, model = label.split(".")
        obj = w.objects[label]
        for page in STANDARD_PAGES:
            name = standard_name(label, page)
            if name in roles.STANDARD_EXCEPTIONS:
                requirement = roles.STANDARD_EXCEPTIONS[name]
            elif page in roles.CLOSED.get(label, ()):
                requirement = roles.NOBODY
            elif page == "add":
                requirement = roles.needs(f"{app}.add_{model}")
            elif page == "delete":
                requirement = roles.needs(f"{app}.delete_{model}")
            else:
                requirement = roles.needs(roles.seen(label))
            args = [] if page in ("changelist", "add") else [obj.pk]
            ok = (302,) if name == "admin:surveys_response_add" else (200,)
            out.append(Expectation(name, get(reverse(name, args=args), ok=ok),
                                   roles.allowed(permissions, requirement)))
        # The autocomplete of each field that has one: Django's rule, "view" or "change"
        # the model searched.
        for field_name in model_admin.autocomplete_fields:
            target = model_admin.model._meta.get_field(field_name).related_model
            url = reverse(AUTOCOMPLETE) + (f"?app_label={app}&model_name={model}"
                                           f"&field_name={field_name}&term=a")
            out.append(Expectation(f"{AUTOCOMPLETE} ({label}.{field_name})", get(url),
                                   roles.allowed(permissions, roles.needs(roles.seen(
                                       target._meta.label_lower)))))
    # An application's index: for whoever holds a permission in it; others: "not found".
    for app in sorted({label.split(".")[0] for label in registered()}):
        holds = any(p.startswith(f"{app}.") for p in permissions)
        out.append(Expectation(f"{APP_LIST} ({app})",
                               get(reverse(APP_LIST, args=[app]), ok=(200,)), True)
                   if holds else
                   Expectation(f"{APP_LIST} ({app})",
                               get(reverse(APP_LIST, args=[app]), ok=(404,)), True))
    visits = screen_visits(w)
    assert set(visits) == set(roles.SCREENS), "tests/test_roles.py: say how to open " \
        f"{sorted(set(roles.SCREENS) - set(visits))}"
    for name, requirement in roles.SCREENS.items():
        out.append(Expectation(name, visits[name], roles.allowed(permissions, requirement)))
    return out


def open_page(client, user, visit: Visit):
    if visit.fresh_client:
        client = client_for(user)
    return getattr(client, visit.method)(visit.url, visit.data)


@pytest.mark.parametrize("person", PEOPLE)
def test_each_page_answers_as_the_matrix_says(world, person):
    user = world.users[person]
    client = client_for(user)
    wrong = []
    for expectation in expectations(world, person):
        response = open_page(client, user, expectation.visit)
        if response.status_code not in expectation.status():
            wrong.append(f"{expectation.name} {expectation.visit.method.upper()} "
                         f"{expectation.visit.url}: {response.status_code}, expected "
                         f"{sorted(expectation.status())}")
    assert not wrong, f"{person}:\n" + "\n".join(wrong)


def test_closed_pages_are_closed_even_to_superusers(world):
    """CLOSED says what the admin classes refuse to everyone: check it is so."""
    client = client_for(User.objects.create_superuser("root", "root@example.org", "x"))
    for label, pages in roles.CLOSED.items():
        obj = world.objects[label]
        for page in pages:
            args = [] if page in ("changelist", "add") else [obj.pk]
            response = client.get(reverse(standard_name(label, page), args=args))
            assert response.status_code == 403, (label, page, response.status_code)


# --- actions -----------------------------------------------------------------------------------


def action_requirements(label: str) -> dict[str, roles.Requirement]:
    app, model = label.split(".")
    declared = dict(roles.ACTIONS.get(label, {}))
    if "delete" not in roles.CLOSED.get(label, ()):
        declared["delete_selected"] = roles.needs(f"{app}.delete_{model}")
    return declared


@pytest.mark.parametrize("person", PEOPLE)
def test_each_action_is_offered_and_runs_as_the_matrix_says(world, person):
    user = world.users[person]
    permissions = permissions_of(person)
    client = client_for(user)
    request = RequestFactory().get("/")
    request.user = user
    wrong = []
    for label, model_admin in registered().items():
        sees_list = roles.allowed(permissions, roles.needs(roles.seen(label)))
        requirements = action_requirements(label)
        offered = set(model_admin.get_actions(request)) if sees_list else set()
        expected = {name for name, requirement in requirements.items()
                    if sees_list and roles.allowed(permissions, requirement)}
        if offered != expected:
            wrong.append(f"{label}: offered {sorted(offered)}, expected {sorted(expected)}")
        changelist = reverse(standard_name(label, "changelist"))
        for name in requirements:
            # The first step of each action: a form to fill in, a file, or the work done.
            client.cookies.pop("messages", None)  # only this request's messages
            response = client.post(changelist, {"action": name, "index": 0,
                                                "_selected_action": [world.objects[label].pk]})
            notes = [str(m) for m in get_messages(response.wsgi_request)]
            # Refused: forbidden, "No action selected.", or the list shown again as if no
            # action had been asked for (Django's answer when the user has no action at all).
            refused = (response.status_code == 403 or "No action selected." in notes
                       or (response.status_code == 200 and any(
                           (t.name or "").endswith("change_list.html")
                           for t in response.templates)))
            if refused == (name in expected):
                wrong.append(f"{label} {name}: {response.status_code} {notes}, "
                             f"expected {'to run' if name in expected else 'a refusal'}")
            elif not sees_list and response.status_code != 403:
                wrong.append(f"{label} {name}: {response.status_code}, expected 403")
    assert not wrong, f"{person}:\n" + "\n".join(wrong)


# --- the groups in the database, the documentation ---------------------------------------------


@pytest.mark.django_db
def test_the_groups_in_the_database_are_those_of_the_matrix():
    """Migration 0005 froze a copy of roles.GROUPS: a change to the roles needs a new one."""
    in_database = {
        group.name: frozenset(f"{p.content_type.app_label}.{p.codename}"
                              for p in group.permissions.select_related("content_type"))
        for group in Group.objects.filter(name__in=list(roles.GROUPS))}
    assert in_database == roles.GROUPS


@pytest.mark.django_db
def test_the_roles_migration_can_run_again_and_restores_the_groups():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    apps = MigrationExecutor(connection).loader.project_state(
        ("surveys", "0005_roles")).apps  # the models as the migration sees them
    migration = importlib.import_module("surveys.migrations.0005_roles")
    reader = Group.objects.get(name=roles.READER)
    reader.permissions.clear()
    Group.objects.filter(name=roles.CODER).delete()

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.create_groups(apps, editor)
    migration.create_groups(apps, editor)
    assert Group.objects.filter(name__in=list(roles.GROUPS)).count() == 3
    test_the_groups_in_the_database_are_those_of_the_matrix()


def test_the_documentation_shows_the_matrix():
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    assert roles.permission_table() in text, "docs/security.md: paste roles.permission_table()"


# --- what the matrix means, seen as each role sees it ------------------------------------------


def test_a_reader_sees_no_contact_details_anywhere(world):
    reader = client_for(world.users[roles.READER])
    manager = client_for(world.users[roles.SURVEY_MANAGER])
    mission = world.objects["surveys.contact"]
    q = world.questionnaire
    mission.phone = "+1 212 555 0199"
    mission.save()
    state_page = reverse("admin:surveys_state_change", args=[mission.state.pk])
    board = reverse("admin:surveys_questionnaire_status", args=[q.pk])
    workbook = reverse("admin:surveys_questionnaire_status_export", args=[q.pk])
    q.deadline = datetime.date(2008, 4, 30)  # past: the State is on the overdue list
    q.save()

    for page in (state_page, board):
        html = reader.get(page).content.decode()
        for detail in (mission.email, mission.phone, mission.name, "pr@fra.example.org",
                       "Ambassador of FRA"):
            assert detail not in html, (page, detail)
    assert mission.email in manager.get(state_page).content.decode()

    def sheet_text(client):
        book = load_workbook(filename=__import__("io").BytesIO(client.get(workbook).content))
        return " ".join(str(c.value) for row in book["States"].iter_rows() for c in row)

    assert mission.phone not in sheet_text(reader) and "Mission phone" not in sheet_text(reader)
    assert "Mission phone" in sheet_text(manager)
    assert reader.get(reverse("admin:surveys_contact_export")).status_code == 403
    assert reader.get(reverse("admin:surveys_contact_changelist")).status_code == 403
    change = reverse("admin:surveys_questionnaire_change", args=[q.pk])
    assert "Call list" not in reader.get(change).content.decode()
    assert "Call list" in manager.get(change).content.decode()


def test_a_coder_codes_but_changes_no_reply_and_sends_no_mail(world):
    coder = client_for(world.users[roles.CODER])
    q, r = world.questionnaire, world.response
    screen = reverse("admin:analysis_coding_reply", args=[q.pk, r.pk])
    answer = r.answers.first()
    saved = coder.post(screen, {f"codes_{answer.pk}": [world.code.pk]})
    assert saved.status_code == 302
    assert Coding.objects.filter(coder=world.users[roles.CODER], final=False).exists()

    version = r.version
    assert coder.post(reverse("admin:surveys_response_enter_version", args=[r.pk]),
                      {}).status_code == 403
    assert coder.post(reverse("admin:surveys_response_change", args=[r.pk]),
                      {}).status_code == 403
    r.refresh_from_db()
    assert r.version == version
    emails = Email.objects.count()
    recipients = reverse("admin:surveys_recipient_changelist")
    response = coder.post(recipients, {"action": "remind_now", "index": 0,
                                       "_selected_action": [r.recipient.pk]})
    assert response.status_code == 403
    assert coder.post(reverse("admin:resend", args=[world.email.pk])).status_code == 403
    assert Email.objects.count() == emails

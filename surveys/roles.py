"""Who may do what: the three staff roles, and what each screen and action asks for.

The one place that says which group holds which permission (``GROUPS``) and which
permission opens each screen and action of the admin and of the staff pages
(``SCREENS``, ``ACTIONS``, ``CLOSED``). It is data, not code the views call:

* ``surveys/migrations/0005_roles.py`` creates the groups from a frozen copy of
  ``GROUPS`` (a migration must not import code that changes later); changing a role
  means a new data migration, and ``tests/test_roles.py`` fails until there is one;
* ``tests/test_roles.py`` opens every admin page, runs every admin action and every
  staff view as a member of each group and as staff without a group, and fails if a
  page or action exists that this module does not declare;
* the table of docs/security.md is :func:`permission_table`'s output (a test checks it).

Superusers are outside the matrix: Django lets them do everything. One person may hold
several roles (a survey manager who also codes is in both groups).
"""

from __future__ import annotations

SURVEY_MANAGER = "Survey manager"
CODER = "Coder"
READER = "Reader"

# --- permissions of each group -----------------------------------------------------------------

# What a reader sees: the registry of States (not its contacts), questionnaires and
# their questions, replies, the codebook and the codings (agreement), the status board
# and the reports. Nothing is changed; contacts (names, e-mails, phones, faxes,
# addresses) stay out of sight, and so do the outbox and the follow-up log.
_READER = (
    "surveys.view_state",
    "surveys.view_questionnaire",
    "surveys.view_reminderrule",
    "surveys.view_section",
    "surveys.view_question",
    "surveys.view_choice",
    "surveys.view_response",
    "analysis.view_code",
    "analysis.view_coding",
)

# A coder is a reader who codes: their own codings, and the keyword suggestions they
# accept or reject on the coding screen. No reply, contact, mail or codebook changes.
_CODER = (
    *_READER,
    "analysis.add_coding",
)

# A survey manager runs the survey: contacts, questionnaires, recipients and waves
# (mail), follow-up, replies (entry, import, export, declines), the e-mail texts and
# the outbox, the codebook and the reconciliation of codings. The registry of States
# comes from its fixture and stays read-only; nothing a State sent is deleted.
_SURVEY_MANAGER = (
    "surveys.view_state",
    "surveys.add_contact", "surveys.change_contact", "surveys.delete_contact",
    "surveys.view_contact",
    "surveys.add_questionnaire", "surveys.change_questionnaire",
    "surveys.delete_questionnaire", "surveys.view_questionnaire",
    "surveys.add_reminderrule", "surveys.change_reminderrule",
    "surveys.delete_reminderrule", "surveys.view_reminderrule",
    "surveys.add_section", "surveys.change_section", "surveys.delete_section",
    "surveys.view_section",
    "surveys.add_question", "surveys.change_question", "surveys.delete_question",
    "surveys.view_question",
    "surveys.add_choice", "surveys.change_choice", "surveys.delete_choice",
    "surveys.view_choice",
    "surveys.change_recipient", "surveys.view_recipient",
    "surveys.change_dispatch", "surveys.view_dispatch",
    "surveys.view_message",
    "surveys.add_followup", "surveys.change_followup", "surveys.view_followup",
    "surveys.add_response", "surveys.change_response", "surveys.view_response",
    "post_office.add_emailtemplate", "post_office.change_emailtemplate",
    "post_office.view_emailtemplate",
    "post_office.change_email", "post_office.view_email",
    "post_office.view_log",
    "post_office.view_attachment",
    "analysis.add_code", "analysis.change_code", "analysis.delete_code", "analysis.view_code",
    "analysis.change_coding", "analysis.view_coding",
)

GROUPS: dict[str, frozenset[str]] = {
    SURVEY_MANAGER: frozenset(_SURVEY_MANAGER),
    CODER: frozenset(_CODER),
    READER: frozenset(_READER),
}

# --- what each screen and action asks for -----------------------------------------------------
#
# A requirement is a tuple of clauses; each clause is a tuple of permissions of which
# the user needs one. ``STAFF``: any member of staff. ``NOBODY``: closed to every group.

Requirement = tuple[tuple[str, ...], ...]
STAFF: Requirement = ()
NOBODY: Requirement = ((),)


def needs(*clauses: str | tuple[str, ...]) -> Requirement:
    """``needs("a", ("b", "c"))``: permission a, and b or c."""
    return tuple((clause,) if isinstance(clause, str) else tuple(clause) for clause in clauses)


def seen(model: str) -> tuple[str, ...]:
    """Django's rule for looking at a model in the admin: "view" or "change"."""
    app, name = model.split(".")
    return (f"{app}.view_{name}", f"{app}.change_{name}")


def allowed(permissions: frozenset[str] | set[str], requirement: Requirement) -> bool:
    return all(any(p in permissions for p in clause) for clause in requirement)


# The five pages Django gives each registered model (changelist, add, change, delete,
# history) follow Django's rules: "view" or "change" to look, "add" to add, "delete" to
# delete. These are the pages an admin class closes to everyone, whatever the group.
CLOSED: dict[str, frozenset[str]] = {
    "surveys.state": frozenset({"add", "delete"}),  # the registry comes from its fixture
    "surveys.recipient": frozenset({"add"}),  # added per questionnaire ("Add recipients")
    "surveys.dispatch": frozenset({"add", "delete"}),  # sent from the recipients; history
    "surveys.message": frozenset({"add", "delete"}),
    "surveys.response": frozenset({"delete"}),  # nothing a State sent is deleted
    "analysis.coding": frozenset({"add"}),  # coded on the coding screen
    "post_office.email": frozenset({"add"}),
}

# Standard pages whose rule differs from Django's.
STANDARD_EXCEPTIONS: dict[str, Requirement] = {
    # "Add" leads to staff entry, where a first reply needs "add" and a new version "change".
    "admin:surveys_response_add": needs(("surveys.add_response", "surveys.change_response")),
}

_CONTACTS = seen("surveys.contact")

# Every other screen: extra admin URLs (get_urls) and the staff pages of analysis/.
SCREENS: dict[str, Requirement] = {
    # the admin site itself
    "admin:index": STAFF,
    "admin:login": STAFF,
    "admin:logout": STAFF,
    "admin:password_change": STAFF,
    "admin:password_change_done": STAFF,
    "admin:jsi18n": STAFF,
    "admin:view_on_site": STAFF,  # a redirect to the object's page, if it has one
    # contacts: import and export are for those who keep the contacts up to date
    "admin:surveys_contact_import": needs("surveys.add_contact", "surveys.change_contact"),
    "admin:surveys_contact_process_import": needs("surveys.add_contact",
                                                  "surveys.change_contact"),
    "admin:surveys_contact_export": needs(_CONTACTS, "surveys.change_contact"),
    # distribution: waves are mail
    "admin:surveys_recipient_add_bulk": needs("surveys.change_recipient"),
    "admin:surveys_dispatch_letters": needs("surveys.view_dispatch"),
    "admin:surveys_dispatch_mark_sent": needs("surveys.change_dispatch"),
    # questionnaires
    "admin:surveys_questionnaire_import_xlsform": needs("surveys.add_questionnaire"),
    "admin:surveys_questionnaire_preview": needs(seen("surveys.questionnaire")),
    "admin:surveys_questionnaire_xlsform": needs(seen("surveys.questionnaire")),
    "admin:surveys_questionnaire_status": needs(seen("surveys.questionnaire")),
    "admin:surveys_questionnaire_status_export": needs(seen("surveys.questionnaire")),
    # the call list is a telephone list: names and numbers of contacts
    "admin:surveys_questionnaire_calls": needs(seen("surveys.questionnaire"), _CONTACTS),
    # replies
    "admin:surveys_response_enter": needs(("surveys.add_response", "surveys.change_response")),
    "admin:surveys_response_enter_version": needs("surveys.change_response"),
    "admin:surveys_response_import": needs("surveys.add_response"),
    "admin:surveys_response_export": needs(seen("surveys.response")),
    "admin:surveys_response_attachment": needs(seen("surveys.response")),
    "admin:surveys_response_simple_history": needs(seen("surveys.response")),
    # codebook and coding
    "admin:analysis_code_import": needs("analysis.add_code", "analysis.change_code"),
    "admin:analysis_code_export_xlsx": needs(seen("analysis.code")),
    "admin:analysis_code_export_qdc": needs(seen("analysis.code")),
    "admin:analysis_coding_questionnaires": needs(("analysis.view_coding",
                                                   "analysis.add_coding")),
    "admin:analysis_coding_replies": needs(("analysis.view_coding", "analysis.add_coding")),
    "admin:analysis_coding_next": needs(("analysis.view_coding", "analysis.add_coding")),
    "admin:analysis_coding_reply": needs(("analysis.view_coding", "analysis.add_coding")),
    "admin:analysis_coding_refresh": needs("analysis.add_coding"),
    # agreement and reconciliation (analysis/urls.py)
    "analysis:reconciliation_index": needs(seen("analysis.coding")),
    "analysis:reconciliation": needs(seen("analysis.coding")),
    "analysis:reconcile_decide": needs("analysis.change_coding"),
    "analysis:reconcile_agreed": needs("analysis.change_coding"),
    # reports (analysis/urls_report.py)
    "report:index": needs("surveys.view_response"),
    "report:page": needs("surveys.view_response"),
    "report:workbook": needs("surveys.view_response"),
    "report:chart": needs("surveys.view_response"),
    # the outbox (django-post-office)
    "admin:post_office_email_image": needs(seen("post_office.email")),
    "admin:post_office_email_preview": needs(seen("post_office.email")),
    "admin:resend": needs("post_office.change_email"),
    # users (django.contrib.auth): no group manages accounts
    "admin:auth_user_password_change": needs("auth.change_user"),
}

# Pages outside the staff matrix: the reply portal, for governments (tests/test_tokens.py).
PUBLIC_NAMESPACES = frozenset({"portal"})

# Admin actions, per model, beyond "delete_selected" (which needs "delete", as Django
# has it, and is absent where CLOSED closes "delete").
ACTIONS: dict[str, dict[str, Requirement]] = {
    "surveys.recipient": {
        "send_invitation": needs("surveys.change_recipient"),
        "remind_now": needs("surveys.change_recipient"),
        "regenerate_links": needs("surveys.change_recipient"),
        "mark_declined": needs("surveys.change_recipient"),
    },
    "surveys.message": {"requeue": needs("post_office.change_email")},
    "surveys.questionnaire": {
        "copy_for_new_round": needs("surveys.add_questionnaire"),
        "open_for_replies": needs("surveys.change_questionnaire"),
        "close_for_replies": needs("surveys.change_questionnaire"),
    },
    "surveys.response": {
        "export_wide_xlsx": needs(seen("surveys.response")),
        "export_long_xlsx": needs(seen("surveys.response")),
        "export_wide_csv": needs(seen("surveys.response")),
        "export_long_csv": needs(seen("surveys.response")),
    },
    "post_office.email": {"requeue": needs("post_office.change_email")},
}


# --- the table of docs/security.md -------------------------------------------------------------


def permission_table() -> str:
    """The groups' permissions as a Markdown table: one row per model, one column per group."""
    groups = list(GROUPS)
    models: dict[str, dict[str, list[str]]] = {}
    for group, permissions in GROUPS.items():
        for permission in permissions:
            app, codename = permission.split(".")
            action, model = codename.split("_", 1)
            models.setdefault(f"{app}.{model}", {}).setdefault(group, []).append(action)
    order = ["view", "add", "change", "delete"]
    lines = ["| model | " + " | ".join(groups) + " |",
             "| --- | " + " | ".join("---" for _g in groups) + " |"]
    for model in sorted(models):
        cells = [", ".join(sorted(models[model].get(g, []), key=order.index)) or "—"
                 for g in groups]
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join(lines)

"""The three staff roles as groups: Survey manager, Coder and Reader.

A frozen copy of ``surveys.roles.GROUPS`` as it stood when this migration was written
(a migration must not import code that changes later). To change a role, change
surveys/roles.py and add a data migration; tests/test_roles.py fails until both agree.

The permissions are created first (Django otherwise creates them only after all
migrations have run), so that the groups get them on a fresh database. Running it
again leaves the same groups with the same permissions, whatever they held before.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = {
    "Survey manager": [
        "analysis.add_code", "analysis.change_code", "analysis.change_coding",
        "analysis.delete_code", "analysis.view_code", "analysis.view_coding",
        "post_office.add_emailtemplate", "post_office.change_email",
        "post_office.change_emailtemplate", "post_office.view_attachment",
        "post_office.view_email", "post_office.view_emailtemplate", "post_office.view_log",
        "surveys.add_choice", "surveys.add_contact", "surveys.add_followup",
        "surveys.add_question", "surveys.add_questionnaire", "surveys.add_reminderrule",
        "surveys.add_response", "surveys.add_section", "surveys.change_choice",
        "surveys.change_contact", "surveys.change_dispatch", "surveys.change_followup",
        "surveys.change_question", "surveys.change_questionnaire", "surveys.change_recipient",
        "surveys.change_reminderrule", "surveys.change_response", "surveys.change_section",
        "surveys.delete_choice", "surveys.delete_contact", "surveys.delete_question",
        "surveys.delete_questionnaire", "surveys.delete_reminderrule", "surveys.delete_section",
        "surveys.view_choice", "surveys.view_contact", "surveys.view_dispatch",
        "surveys.view_followup", "surveys.view_message", "surveys.view_question",
        "surveys.view_questionnaire", "surveys.view_recipient", "surveys.view_reminderrule",
        "surveys.view_response", "surveys.view_section", "surveys.view_state",
    ],
    "Coder": [
        "analysis.add_coding", "analysis.view_code", "analysis.view_coding",
        "surveys.view_choice", "surveys.view_question", "surveys.view_questionnaire",
        "surveys.view_reminderrule", "surveys.view_response", "surveys.view_section",
        "surveys.view_state",
    ],
    "Reader": [
        "analysis.view_code", "analysis.view_coding", "surveys.view_choice",
        "surveys.view_question", "surveys.view_questionnaire", "surveys.view_reminderrule",
        "surveys.view_response", "surveys.view_section", "surveys.view_state",
    ],
}


def create_groups(apps, schema_editor):
    using = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    labels = {name.split(".")[0] for names in GROUPS.values() for name in names}
    for label in sorted(labels):
        app_config = apps.get_app_config(label)
        # Historical app configs have no models module, which create_permissions skips.
        previous = getattr(app_config, "models_module", None)
        app_config.models_module = True
        try:
            create_permissions(app_config, verbosity=0, using=using, apps=apps)
        finally:
            app_config.models_module = previous
    for group_name, names in GROUPS.items():
        wanted = {tuple(name.split(".")) for name in names}
        permissions = [
            p for p in Permission.objects.using(using).select_related("content_type")
            if (p.content_type.app_label, p.codename) in wanted]
        found = {(p.content_type.app_label, p.codename) for p in permissions}
        if found != wanted:  # a typo must not silently leave a role without a permission
            missing = sorted(".".join(pair) for pair in wanted - found)
            raise LookupError(f"Permissions not found for {group_name}: {missing}")
        group, _created = Group.objects.using(using).get_or_create(name=group_name)
        group.permissions.set(permissions)


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=list(GROUPS)).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("surveys", "0004_replies_versions_history"),
        ("analysis", "0001_codebook_and_coding"),
        ("post_office", "0014_alter_email_recipient_delivery_status_and_more"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_groups, remove_groups),
    ]

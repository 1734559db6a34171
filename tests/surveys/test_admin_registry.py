"""The admin of the registry and of contacts, driven through Django's test client.

A superuser (pytest-django's ``admin_client``) sees the 195 States, filters and searches
them, edits a State with its contacts inline and imports and exports contacts; a staff
user without permissions is refused the import. Changelists and change pages run the
same number of queries whether there are ten contacts or a thousand.
"""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from surveys.models import Contact, State
from surveys.resources import CONTACT_COLUMNS
from surveys.services.contacts import contacts_import

STATES_URL = "admin:surveys_state_changelist"
CONTACTS_URL = "admin:surveys_contact_changelist"
IMPORT_URL = "admin:surveys_contact_import"
PROCESS_IMPORT_URL = "admin:surveys_contact_process_import"
EXPORT_URL = "admin:surveys_contact_export"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- helpers -----------------------------------------------------------------------------------


def xlsx_bytes(headers, rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content, name="contacts.xlsx", fmt="0"):
    """The import form's data: the file, the format (0 = XLSX, 1 = CSV) and the resource."""
    return {"import_file": SimpleUploadedFile(name, content), "format": fmt, "resource": "0"}


def paginator_text(response):
    match = re.search(r'<p class="paginator">(.*?)</p>', response.content.decode(), re.S)
    assert match, "no paginator in the page"
    return " ".join(match.group(1).split())


def result_iso3(response):
    return sorted(state.iso3 for state in response.context["cl"].result_list)


def spread_contacts(registry, count, *, start=0):
    """``count`` contacts spread over the 195 States, in one bulk insert."""
    states = sorted(registry.values(), key=lambda s: s.iso3)
    roles = [choice for choice, _label in Contact.Role.choices]
    Contact.objects.bulk_create(
        Contact(state=states[i % len(states)], role=roles[i % len(roles)], name=f"Person {i}",
                email=f"p{i}@example.org", phone=f"+1 555 {i:04d}")
        for i in range(start, start + count)
    )


@pytest.fixture
def staff_client(db, django_user_model):
    """A staff member without any permission."""
    user = django_user_model.objects.create_user("clerk", "clerk@example.org", "pw",
                                                 is_staff=True)
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="surveys", codename__in=codenames))


# --- pages answer ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["admin:index", "admin:app_list", STATES_URL, CONTACTS_URL,
                                  "admin:surveys_contact_add", IMPORT_URL, EXPORT_URL])
def test_pages_answer_200_for_a_superuser(registry, admin_client, name):
    kwargs = {"app_label": "surveys"} if name == "admin:app_list" else {}
    response = admin_client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200


def test_index_lists_states_and_contacts(registry, admin_client):
    content = admin_client.get(reverse("admin:index")).content.decode()
    assert reverse(STATES_URL) in content
    assert reverse(CONTACTS_URL) in content


def test_state_and_contact_change_pages_answer_200(registry, admin_client):
    contact = Contact.objects.create(state=registry["FRA"], role="mission",
                                     name="Mission permanente de la France")
    state_page = admin_client.get(reverse("admin:surveys_state_change",
                                          args=[registry["FRA"].pk]))
    contact_page = admin_client.get(reverse("admin:surveys_contact_change", args=[contact.pk]))
    assert state_page.status_code == contact_page.status_code == 200


def test_pages_require_login(registry, client):
    response = client.get(reverse(STATES_URL))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


# --- the State changelist: count, filters, search ----------------------------------------------


def test_state_changelist_shows_195_states(registry, admin_client):
    response = admin_client.get(reverse(STATES_URL))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 195
    assert paginator_text(response) == "195 States"
    assert len(response.context["cl"].result_list) == 195  # one page: list_per_page is 200


@pytest.mark.parametrize(("params", "expected"), [
    ({"region": "Africa"}, lambda: 54),
    ({"region": "Africa"}, lambda: State.objects.filter(region="Africa").count()),
    ({"group": "ldc"}, lambda: State.objects.filter(is_ldc=True).count()),
    ({"group": "lldc"}, lambda: State.objects.filter(is_lldc=True).count()),
    ({"group": "sids"}, lambda: State.objects.filter(is_sids=True).count()),
    ({"group": "developed"}, lambda: State.objects.filter(is_developed=True).count()),
    ({"group": "developing"}, lambda: State.objects.filter(is_developed=False).count()),
    ({"status": "observer"}, lambda: 2),
    ({"status": "member"}, lambda: 193),
], ids=["africa-54", "africa-db", "ldc", "lldc", "sids", "developed", "developing", "observer",
        "member"])
def test_state_changelist_filters(registry, admin_client, params, expected):
    response = admin_client.get(reverse(STATES_URL), params)

    count = expected()
    assert 0 < count < 195
    assert response.status_code == 200
    assert response.context["cl"].result_count == count
    assert paginator_text(response).startswith(f"{count} States")


def test_filters_combine(registry, admin_client):
    response = admin_client.get(reverse(STATES_URL), {"region": "Africa", "group": "ldc"})
    expected = State.objects.filter(region="Africa", is_ldc=True).count()
    assert response.context["cl"].result_count == expected > 0


def test_observer_filter_gives_holy_see_and_palestine(registry, admin_client):
    response = admin_client.get(reverse(STATES_URL), {"status": "observer"})
    assert result_iso3(response) == ["PSE", "VAT"]


def test_sids_are_islands(registry, admin_client):
    response = admin_client.get(reverse(STATES_URL), {"group": "sids"})
    iso3 = result_iso3(response)
    assert {"BHS", "JAM", "FJI", "MDV"} <= set(iso3)
    assert "CHE" not in iso3


@pytest.mark.parametrize("term", ["Côte", "CIV", "CI", "Кот", "384", "Ivoire", "科特迪瓦"])
def test_state_search_finds_cote_divoire(registry, admin_client, term):
    response = admin_client.get(reverse(STATES_URL), {"q": term})

    assert response.status_code == 200
    assert "CIV" in result_iso3(response)
    if term in ("CIV", "384", "Кот"):
        assert result_iso3(response) == ["CIV"]


def test_state_search_by_code_is_exact(registry, admin_client):
    response = admin_client.get(reverse(STATES_URL), {"q": "38"})
    assert "CIV" not in result_iso3(response)


def test_state_change_page_shows_its_contacts_inline(registry, admin_client):
    civ = registry["CIV"]
    Contact.objects.create(state=civ, role="mission", name="Mission permanente de Côte d'Ivoire",
                           email="mission@civ.example", phone="+41 22 000 0000")
    Contact.objects.create(state=civ, role="pr", name="Kouadio Yao", honorific="H.E. Mr.")
    Contact.objects.create(state=registry["GHA"], role="pr", name="Kwame Mensah")

    response = admin_client.get(reverse("admin:surveys_state_change", args=[civ.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Mission permanente de Côte d&#x27;Ivoire" in content
    assert "mission@civ.example" in content
    assert "Kouadio Yao" in content
    assert "Kwame Mensah" not in content
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.total_form_count() == 2
    assert 'name="contacts-TOTAL_FORMS" value="2"' in content


def test_state_changelist_counts_contacts(registry, admin_client):
    spread_contacts(registry, 195 * 2)
    Contact.objects.create(state=registry["CIV"], role="other", name="Extra")

    response = admin_client.get(reverse(STATES_URL), {"q": "CIV"})

    (civ,) = response.context["cl"].result_list
    assert civ._contacts == 3


def test_states_cannot_be_deleted(registry, admin_client):
    response = admin_client.get(reverse("admin:surveys_state_delete", args=[registry["CIV"].pk]))
    assert response.status_code == 403


# --- queries do not grow with rows -------------------------------------------------------------


def _count(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def _inline_state(registry):
    return registry["CIV"]


CHANGELISTS = ["states", "states filtered", "contacts", "contacts filtered",
               "contacts searched"]


def _pages(registry):
    civ = _inline_state(registry)
    return {
        "states": (reverse(STATES_URL), {}),
        "states filtered": (reverse(STATES_URL), {"region": "Africa", "group": "ldc"}),
        "contacts": (reverse(CONTACTS_URL), {}),
        "contacts filtered": (reverse(CONTACTS_URL), {"state__region": "Africa"}),
        "contacts searched": (reverse(CONTACTS_URL), {"q": "Person"}),
        "state change": (reverse("admin:surveys_state_change", args=[civ.pk]), {}),
    }


def _add_inline_contacts(registry, count, start):
    civ = _inline_state(registry)
    Contact.objects.bulk_create(Contact(state=civ, role="focal_point", name=f"Focal {i}",
                                        process=f"Process {i}")
                                for i in range(start, start + count))


def _measure(client, registry, labels):
    return {label: _count(client, *_pages(registry)[label]) for label in labels}


def test_changelist_query_counts_do_not_grow_with_contacts(registry, admin_client):
    spread_contacts(registry, 10)
    admin_client.get(reverse(STATES_URL))  # the first request after login updates the session
    small = _measure(admin_client, registry, CHANGELISTS)

    spread_contacts(registry, 990, start=10)
    assert Contact.objects.count() == 1000
    large = _measure(admin_client, registry, CHANGELISTS)

    assert {k: n for k, (n, _r) in large.items()} == {k: n for k, (n, _r) in small.items()}
    contacts = large["contacts"][1].context["cl"]
    assert contacts.result_count == 1000 and len(contacts.result_list) == 100
    assert large["contacts filtered"][1].context["cl"].result_count == \
        Contact.objects.filter(state__region="Africa").count()
    states = large["states"][1].context["cl"]
    assert sum(s._contacts for s in states.result_list) == 1000


def test_state_change_page_query_count_does_not_grow_with_inline_contacts(registry,
                                                                         admin_client):
    spread_contacts(registry, 5)
    _add_inline_contacts(registry, 5, 0)  # 10 contacts, 5+ of them on Côte d'Ivoire
    admin_client.get(reverse(STATES_URL))
    # Warm Django's content-type cache (another test may have cleared it): a one-off
    # lookup, not a query that grows with the contacts.
    admin_client.get(_pages(registry)["state change"][0])
    small = _measure(admin_client, registry, ["state change"])

    spread_contacts(registry, 950, start=5)
    _add_inline_contacts(registry, 40, 5)  # 1,000 contacts, 45+ on Côte d'Ivoire
    assert Contact.objects.count() == 1000
    large = _measure(admin_client, registry, ["state change"])

    inline = large["state change"][1].context["inline_admin_formsets"][0].formset
    assert inline.total_form_count() == Contact.objects.filter(state__iso3="CIV").count() >= 45
    assert large["state change"][0] == small["state change"][0]


def test_state_change_page_with_five_inline_contacts_stays_small(
        registry, admin_client, django_assert_max_num_queries):
    _add_inline_contacts(registry, 5, 0)
    admin_client.get(reverse("admin:index"))
    url, params = _pages(registry)["state change"]

    with django_assert_max_num_queries(12):
        response = admin_client.get(url, params)
    assert response.context["inline_admin_formsets"][0].formset.total_form_count() == 5


@pytest.mark.parametrize(("page", "ceiling"), [
    *[(label, 10) for label in CHANGELISTS],
    ("state change", 12),
])
def test_pages_run_a_bounded_number_of_queries(registry, admin_client,
                                               django_assert_max_num_queries, page, ceiling):
    spread_contacts(registry, 960)
    _add_inline_contacts(registry, 40, 0)
    assert Contact.objects.count() == 1000
    admin_client.get(reverse("admin:index"))
    url, params = _pages(registry)[page]

    with django_assert_max_num_queries(ceiling):
        response = admin_client.get(url, params)
    assert response.status_code == 200


# --- the contact import screen -----------------------------------------------------------------


GOOD_SHEET = (
    ["Country", "Role", "Name", "E-mail", "Phone", "Preferred language"],
    [["Côte d'Ivoire", "Permanent Mission", "Mission permanente de Côte d'Ivoire",
      "mission@civ.example", "+41 22 000 0000", "Français"],
     ["Holy See (the) *", "pr", "Mgr Rossi", "rossi@va.example", "", "en"],
     ["中国", "focal_point", "李明", "li@chn.example", "", "zh"]],
)


def good_sheet():
    headers, rows = GOOD_SHEET
    return headers, [list(r) for r in rows]


def test_import_dry_run_shows_a_preview_and_writes_nothing(registry, admin_client):
    response = admin_client.post(reverse(IMPORT_URL), upload(xlsx_bytes(*good_sheet())))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Below is a preview of data to be imported" in content
    assert 'value="Confirm import"' in content
    assert "Mission permanente de Côte d'Ivoire" in content
    assert "李明" in content
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["new"] == 3
    assert Contact.objects.count() == 0


def test_import_confirm_writes_the_rows(registry, admin_client):
    preview = admin_client.post(reverse(IMPORT_URL), upload(xlsx_bytes(*good_sheet())))
    confirm = preview.context["confirm_form"]
    data = {name: confirm[name].value() for name in confirm.fields}

    response = admin_client.post(reverse(PROCESS_IMPORT_URL), data)

    assert response.status_code == 302
    assert response["Location"] == reverse(CONTACTS_URL)
    got = {c.name: (c.state.iso3, c.language) for c in Contact.objects.select_related("state")}
    assert got == {"Mission permanente de Côte d'Ivoire": ("CIV", "fr"),
                   "Mgr Rossi": ("VAT", "en"), "李明": ("CHN", "zh-hans")}
    assert Contact.objects.get(state__iso3="CIV").phone == "+41 22 000 0000"


def test_import_csv_format_reads_semicolons_and_bom(registry, admin_client):
    content = ("\ufeffcountry;role;name;language\r\n"
               "Allemagne;mission;Ständige Vertretung;English\r\n")
    response = admin_client.post(
        reverse(IMPORT_URL), upload(content.encode("utf-8"), name="contacts.csv", fmt="1"))

    assert response.status_code == 200
    assert 'value="Confirm import"' in response.content.decode()
    assert response.context["result"].totals["new"] == 1
    assert Contact.objects.count() == 0


def test_import_with_a_bad_row_shows_its_error_and_no_confirm(registry, admin_client):
    headers, rows = good_sheet()
    rows.insert(1, ["Kosovo", "mission", "Mission of Kosovo", "", "", "en"])

    response = admin_client.post(reverse(IMPORT_URL), upload(xlsx_bytes(headers, rows)))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Some rows failed to validate" in content
    assert "is not a UN Member State or observer State" in content
    assert "Confirm import" not in content
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    invalid = response.context["result"].invalid_rows
    assert [row.number for row in invalid] == [2]
    assert Contact.objects.count() == 0


def test_import_with_a_duplicate_row_shows_the_first(registry, admin_client):
    headers, rows = good_sheet()
    rows.append(["CIV", "mission", "Mission permanente de Côte d'Ivoire", "", "", "fr"])

    response = admin_client.post(reverse(IMPORT_URL), upload(xlsx_bytes(headers, rows)))

    content = response.content.decode()
    assert "Same country, role and name as row 1." in content
    assert "Confirm import" not in content
    assert Contact.objects.count() == 0


def test_import_missing_column_shows_the_error(registry, admin_client):
    response = admin_client.post(
        reverse(IMPORT_URL),
        upload(xlsx_bytes(["role", "name"], [["mission", "Mission of Germany"]])))

    content = response.content.decode()
    assert "Missing column: country." in content
    assert "Confirm import" not in content
    assert Contact.objects.count() == 0


def test_import_cp1252_csv_says_utf8(registry, admin_client):
    content = "country,role,name\r\nCôte d'Ivoire,mission,Mission\r\n".encode("cp1252")

    response = admin_client.post(reverse(IMPORT_URL),
                                 upload(content, name="contacts.csv", fmt="1"))

    assert response.status_code == 200
    assert "UTF-8" in str(response.context["form"].errors["import_file"])
    assert "Confirm import" not in response.content.decode()


def test_import_page_is_forbidden_without_add_permission(registry, staff_client):
    grant(staff_client.user, "view_contact", "change_contact")
    assert staff_client.get(reverse(CONTACTS_URL)).status_code == 200

    assert staff_client.get(reverse(IMPORT_URL)).status_code == 403
    response = staff_client.post(reverse(IMPORT_URL), upload(xlsx_bytes(*good_sheet())))
    assert response.status_code == 403
    response = staff_client.post(reverse(PROCESS_IMPORT_URL), {
        "import_file_name": "x", "original_file_name": "x.xlsx", "format": "0"})
    assert response.status_code == 403
    assert Contact.objects.count() == 0


def test_staff_without_any_permission_is_refused_everything(registry, staff_client):
    for name in (IMPORT_URL, EXPORT_URL, CONTACTS_URL, STATES_URL):
        assert staff_client.get(reverse(name)).status_code == 403, name


def test_import_page_allowed_with_add_and_change_permission(registry, staff_client):
    grant(staff_client.user, "add_contact", "view_contact")
    # An import updates contacts too: "add" alone is not enough (docs/security.md).
    assert staff_client.get(reverse(IMPORT_URL)).status_code == 403
    grant(staff_client.user, "change_contact")
    assert staff_client.get(reverse(IMPORT_URL)).status_code == 200


# --- the contact export ------------------------------------------------------------------------


def export_data(fmt="0"):
    data = {"format": fmt, "resource": "0"}
    data.update({f"contactresource_{column}": "on" for column in CONTACT_COLUMNS})
    return data


def test_export_returns_an_xlsx(registry, admin_client, tmp_path):
    Contact.objects.create(state=registry["CHE"], role="mission", name="Mission of Switzerland",
                           phone="+41 22 917 1234", language="fr")
    Contact.objects.create(state=registry["VAT"], role="other", name="=1+1", notes="@note")

    response = admin_client.post(reverse(EXPORT_URL), export_data())

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == CONTACT_COLUMNS
    by_country = {row[0]: dict(zip(CONTACT_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert by_country["Switzerland"]["phone"] == "'+41 22 917 1234"
    assert by_country["Switzerland"]["language"] == "French"
    assert by_country["Holy See"]["name"] == "'=1+1"
    assert by_country["Holy See"]["notes"] == "'@note"
    assert all(cell.data_type != "f" for r in sheet.iter_rows() for cell in r)

    # The admin's export imports again without change.
    before = sorted(Contact.objects.values_list("state__iso3", "role", "name", "phone",
                                                "language", "notes"))
    path = tmp_path / "export.xlsx"
    path.write_bytes(response.content)
    outcome = contacts_import(source=path)
    assert outcome.ok, [str(p) for p in outcome.problems]
    assert (outcome.new, outcome.updated, outcome.unchanged) == (0, 0, 2)
    assert sorted(Contact.objects.values_list("state__iso3", "role", "name", "phone",
                                              "language", "notes")) == before


def test_export_allowed_to_those_who_keep_the_contacts(registry, staff_client):
    grant(staff_client.user, "view_contact")
    Contact.objects.create(state=registry["CHE"], role="mission", name="Mission of Switzerland")
    # Looking at contacts is not enough to take the whole address book away.
    assert staff_client.post(reverse(EXPORT_URL), export_data()).status_code == 403
    grant(staff_client.user, "change_contact")

    response = staff_client.post(reverse(EXPORT_URL), export_data())

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE

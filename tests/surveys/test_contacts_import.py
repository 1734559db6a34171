"""Importing and exporting contacts with real files: ``manage.py import_contacts`` and the service.

Every test writes a genuine .xlsx (openpyxl) or .csv (plain bytes) to ``tmp_path`` and
reads it back through the same code staff use, so the reader, the header synonyms, the
resolver and the all-or-nothing rule are exercised together.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from surveys.models import Contact
from surveys.services.contacts import contacts_export, contacts_import

HEADERS = ["country", "role", "name", "email", "phone", "language"]


# --- helpers -----------------------------------------------------------------------------------


def write_xlsx(path, headers, rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def write_csv(path, headers, rows, *, delimiter=",", encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def run_command(*args):
    """Run ``import_contacts``; return (stdout, stderr). CommandError propagates."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import_contacts", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(*args):
    """Run ``import_contacts`` expecting a refusal; return (CommandError text, stderr)."""
    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_contacts", *[str(a) for a in args], stdout=io.StringIO(),
                     stderr=err)
    return str(excinfo.value), err.getvalue()


def snapshot():
    """Every contact as a comparable tuple (what the database holds, field by field)."""
    fields = ["state__iso3", "role", "process", "honorific", "name", "position",
              "organization", "address", "email", "fax", "phone", "language", "is_active",
              "notes"]
    return sorted(Contact.objects.values_list(*fields))


def good_rows():
    return [
        ["Germany", "Permanent Mission", "Permanent Mission of Germany", "mission@deu.example",
         "+49 30 1234", "English"],
        ["France", "pr", "Jeanne Martin", "jm@fra.example", "", "fr"],
        ["Japan", "focal_point", "Aiko Tanaka", "aiko@jpn.example", "", "en"],
    ]


# --- States in assorted spellings and scripts --------------------------------------------------

SPELLINGS = [
    ("Bahamas (the)", "mission", "BHS"),
    ("Côte d'Ivoire", "mission", "CIV"),
    ("Ivory Coast", "pr", "CIV"),
    ("Allemagne", "mission", "DEU"),
    ("Estados Unidos de América", "mission", "USA"),
    ("中国", "mission", "CHN"),
    ("Российская Федерация", "mission", "RUS"),
    ("المملكة العربية السعودية", "mission", "SAU"),
    ("NA", "mission", "NAM"),
    ("004", "mission", "AFG"),
    ("Holy See (the) *", "mission", "VAT"),
    ("Palestine", "mission", "PSE"),
]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_states_in_assorted_spellings_map_to_the_right_state(registry, tmp_path, suffix):
    rows = [[country, role, f"Contact {i}", f"c{i}@example.org", "", "en"]
            for i, (country, role, _iso3) in enumerate(SPELLINGS, start=1)]
    writer = write_xlsx if suffix == "xlsx" else write_csv
    path = writer(tmp_path / f"contacts.{suffix}", HEADERS, rows)

    out, err = run_command(path)

    assert err == ""
    assert "12 rows imported: 12 new, 0 updated, 0 unchanged." in out
    for i, (country, _role, iso3) in enumerate(SPELLINGS, start=1):
        contact = Contact.objects.get(name=f"Contact {i}")
        assert contact.state.iso3 == iso3, country
    # "Côte d'Ivoire" and "Ivory Coast" are the same State under two roles.
    assert sorted(Contact.objects.filter(state__iso3="CIV").values_list("role", flat=True)) \
        == ["mission", "pr"]


def test_the_service_resolves_the_same_spellings(registry, tmp_path):
    rows = [[country, role, f"Contact {i}"]
            for i, (country, role, _iso3) in enumerate(SPELLINGS, start=1)]
    path = write_xlsx(tmp_path / "contacts.xlsx", ["country", "role", "name"], rows)

    outcome = contacts_import(source=path)

    assert outcome.ok, (outcome.file_errors, [str(p) for p in outcome.problems])
    assert (outcome.total, outcome.new, outcome.written) == (12, 12, True)
    got = {c.name: c.state.iso3 for c in Contact.objects.select_related("state")}
    assert got == {f"Contact {i}": iso3 for i, (_c, _r, iso3) in enumerate(SPELLINGS, start=1)}


def test_the_service_reads_bytes_with_a_filename(registry, tmp_path):
    path = write_xlsx(tmp_path / "contacts.xlsx", HEADERS, good_rows())

    outcome = contacts_import(source=path.read_bytes(), filename="upload.xlsx")

    assert outcome.ok and outcome.new == 3
    assert Contact.objects.count() == 3


# --- one bad row: nothing is imported ----------------------------------------------------------

BAD_ROWS = [
    (["Kosovo", "mission", "Mission of Kosovo", "", "", "en"],
     "is not a UN Member State or observer State"),
    (["Atlantis", "mission", "Mission of Atlantis", "", "", "en"], "Unknown country “Atlantis”"),
    (["Italy", "mission", "Mission of Italy", "not-an-address", "", "en"],
     "Enter a valid email address"),
    (["Italy", "mission", "Mission of Italy", "", "", "Klingon"], "Unknown language “Klingon”"),
    (["Italy", "ambassador-at-large", "Mission of Italy", "", "", "en"], "Unknown role"),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_ROWS, ids=["kosovo", "atlantis", "email",
                                                            "language", "role"])
def test_one_bad_row_imports_nothing_and_names_row_and_reason(registry, tmp_path, bad, reason):
    Contact.objects.create(state=registry["BRA"], role="mission", name="Already there")
    before = snapshot()
    rows = good_rows()
    rows.insert(1, bad)  # the second data row: row 2, line 3 of the sheet
    path = write_xlsx(tmp_path / "contacts.xlsx", HEADERS, rows)

    message, err = refused(path)

    assert message == "Nothing imported: 1 problem in 4 rows."
    assert "Row 2 (line 3 of the sheet)" in err
    assert reason in err
    assert snapshot() == before
    assert not Contact.objects.filter(name__in=["Jeanne Martin", "Aiko Tanaka"]).exists()


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_bad_row_below_blank_lines_is_named_by_its_line_in_the_sheet(registry, tmp_path,
                                                                        suffix):
    rows = good_rows()
    rows[2:2] = [[""] * len(HEADERS)] * 2 + [BAD_ROWS[1][0]]  # Atlantis on line 6
    write = write_xlsx if suffix == "xlsx" else write_csv
    message, err = refused(write(tmp_path / f"contacts.{suffix}", HEADERS, rows))
    assert message == "Nothing imported: 1 problem in 4 rows."
    assert "Row 3 (line 6 of the sheet)" in err and "Atlantis" in err


def test_the_service_reports_the_bad_row_as_a_row_problem(registry, tmp_path):
    rows = [*good_rows(), ["Kosovo", "mission", "Mission of Kosovo", "", "", "en"]]
    path = write_xlsx(tmp_path / "contacts.xlsx", HEADERS, rows)

    outcome = contacts_import(source=path)

    assert not outcome.ok and not outcome.written
    assert [(p.row, p.line) for p in outcome.problems] == [(4, 5)]
    assert str(outcome.problems[0]) == (
        "Row 4 (line 5 of the sheet): country: “Kosovo” is not a UN Member State or "
        "observer State.")
    assert Contact.objects.count() == 0


def test_an_unknown_country_suggests_what_was_meant(registry, tmp_path):
    path = write_xlsx(tmp_path / "contacts.xlsx", ["country", "role", "name"],
                      [["Germanyy", "mission", "Mission"]])

    _message, err = refused(path)

    assert "Row 1 (line 2 of the sheet)" in err
    assert "Did you mean: Germany" in err


def test_several_bad_rows_are_all_listed(registry, tmp_path):
    rows = [
        ["Germany", "mission", "Mission of Germany", "", "", "en"],          # 1 good
        ["Kosovo", "mission", "Mission of Kosovo", "", "", "en"],            # 2 bad
        ["France", "mission", "Mission of France", "", "", "en"],            # 3 good
        ["Atlantis", "mission", "Mission of Atlantis", "", "", "en"],        # 4 bad
        ["Italy", "mission", "Mission of Italy", "not-an-address", "", "en"],  # 5 bad
        ["Spain", "mission", "Mission of Spain", "", "", "Klingon"],         # 6 bad
        ["Japan", "mission", "Mission of Japan", "", "", "ja"],              # 7 bad
    ]
    path = write_xlsx(tmp_path / "contacts.xlsx", HEADERS, rows)

    message, err = refused(path)

    assert message == "Nothing imported: 5 problems in 7 rows."
    listed = [int(n) for n in re.findall(r"Row (\d+) \(line \d+ of the sheet\)", err)]
    assert listed == [2, 4, 5, 6, 7]
    for row in (2, 4, 5, 6, 7):
        assert f"Row {row} (line {row + 1} of the sheet)" in err
    assert "Kosovo" in err and "Atlantis" in err
    assert "email: Enter a valid email address." in err
    assert "Unknown language “Klingon”" in err and "Unknown language “ja”" in err
    assert Contact.objects.count() == 0

    outcome = contacts_import(source=path)
    assert [p.row for p in outcome.problems] == [2, 4, 5, 6, 7]


def test_a_row_with_two_bad_cells_reports_both(registry, tmp_path):
    path = write_xlsx(tmp_path / "contacts.xlsx", HEADERS,
                      [["Atlantis", "mission", "X", "bad-mail", "", "Klingon"]])

    outcome = contacts_import(source=path)

    assert len(outcome.problems) == 1
    text = str(outcome.problems[0])
    assert text.startswith("Row 1 (line 2 of the sheet): ")
    assert "Atlantis" in text and "Klingon" in text


# --- duplicates --------------------------------------------------------------------------------


def test_duplicate_rows_are_refused_naming_the_first(registry, tmp_path):
    rows = [
        ["Germany", "mission", "Mission of Germany", "", "", "en"],
        ["France", "pr", "Jeanne Martin", "", "", "fr"],
        ["Japan", "mission", "Mission of Japan", "", "", "en"],
        ["Allemagne", "Permanent Mission", "Mission of Germany", "", "", "en"],  # = row 1
    ]
    path = write_xlsx(tmp_path / "contacts.xlsx", HEADERS, rows)

    message, err = refused(path)

    assert message == "Nothing imported: 1 problem in 4 rows."
    assert "Row 4 (line 5 of the sheet): name: Same country, role and name as row 1." in err
    assert Contact.objects.count() == 0


def test_duplicate_rows_of_an_existing_contact_are_refused(registry, tmp_path):
    Contact.objects.create(state=registry["DEU"], role="mission", name="Mission of Germany",
                           phone="1")
    rows = [["DEU", "mission", "Mission of Germany", "", "2", "en"],
            ["Germany", "mission", "Mission of Germany", "", "3", "en"]]
    path = write_xlsx(tmp_path / "contacts.xlsx", HEADERS, rows)

    outcome = contacts_import(source=path)

    assert [str(p) for p in outcome.problems] == [
        "Row 2 (line 3 of the sheet): name: Same country, role and name as row 1."]
    assert Contact.objects.get().phone == "1"


def test_same_name_under_another_role_or_state_is_not_a_duplicate(registry, tmp_path):
    rows = [["Germany", "mission", "Anna Schmidt"], ["Germany", "pr", "Anna Schmidt"],
            ["Austria", "mission", "Anna Schmidt"]]
    path = write_xlsx(tmp_path / "contacts.xlsx", ["country", "role", "name"], rows)

    assert contacts_import(source=path).ok
    assert Contact.objects.filter(name="Anna Schmidt").count() == 3


# --- CSV as real files are written -------------------------------------------------------------


def test_semicolon_csv_with_bom_imports(registry, tmp_path):
    rows = [["Côte d'Ivoire", "mission", "Mission de Côte d'Ivoire", "ci@example.org",
             "+225 1", "Français"],
            ["Allemagne", "pr", "Jürgen Müller", "jm@example.org", "", "en"]]
    path = write_csv(tmp_path / "contacts.csv", HEADERS, rows, delimiter=";",
                     encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfcountry;role;")

    out, err = run_command(path)

    assert err == ""
    assert "2 rows imported: 2 new" in out
    civ = Contact.objects.get(state__iso3="CIV")
    assert (civ.name, civ.phone, civ.language) == ("Mission de Côte d'Ivoire", "+225 1", "fr")
    assert Contact.objects.get(state__iso3="DEU").name == "Jürgen Müller"


def test_cp1252_csv_is_refused_mentioning_utf8(registry, tmp_path):
    path = write_csv(tmp_path / "contacts.csv", ["country", "role", "name"],
                     [["Côte d'Ivoire", "mission", "Mission de Côte d'Ivoire"]],
                     encoding="cp1252")

    message, err = refused(path)

    assert "Nothing imported" in message
    assert "UTF-8" in err
    assert Contact.objects.count() == 0
    outcome = contacts_import(source=path)
    assert any("UTF-8" in e for e in outcome.file_errors)


def test_missing_required_column_is_refused_naming_it(registry, tmp_path):
    path = write_xlsx(tmp_path / "contacts.xlsx", ["role", "name", "email"],
                      [["mission", "Mission of Germany", "m@example.org"]])

    message, err = refused(path)

    assert "Nothing imported" in message
    assert "Missing column: country." in err
    assert Contact.objects.count() == 0


def test_unknown_column_is_refused(registry, tmp_path):
    path = write_xlsx(tmp_path / "contacts.xlsx", ["country", "role", "name", "shoe size"],
                      [["Germany", "mission", "Mission of Germany", "42"]])

    _message, err = refused(path)

    assert "Unknown column: shoe_size." in err
    assert Contact.objects.count() == 0


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("contacts.txt", b"country,role,name\n", "Unsupported file type"),
    ("contacts.xlsx", b"not a workbook", "not an Excel workbook"),
    ("contacts.csv", b"", "empty"),
])
def test_unreadable_files_are_refused_with_a_reason(registry, tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)

    _message, err = refused(path)

    assert expected in err


def test_a_missing_file_is_refused(registry, tmp_path):
    _message, err = refused(tmp_path / "nowhere.xlsx")
    assert "Cannot open" in err


def test_two_columns_for_the_same_field_are_refused(registry, tmp_path):
    path = write_xlsx(tmp_path / "contacts.xlsx", ["Country", "ISO3", "role", "name"],
                      [["Germany", "FRA", "mission", "Mission of Germany"]])

    outcome = contacts_import(source=path)

    assert not outcome.ok
    assert Contact.objects.count() == 0


def test_an_empty_unnamed_trailing_column_is_ignored(registry, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_bytes("country;role;name;\r\nGermany;mission;Mission of Germany;\r\n"
                     .encode("utf-8-sig"))

    outcome = contacts_import(source=path)

    assert outcome.ok, outcome.file_errors
    assert Contact.objects.get().state.iso3 == "DEU"


# --- reimport ----------------------------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing(registry, tmp_path):
    path = write_xlsx(tmp_path / "contacts.xlsx", HEADERS, good_rows())
    out, _err = run_command(path)
    assert "3 new, 0 updated, 0 unchanged" in out
    before = snapshot()
    stamps = dict(Contact.objects.values_list("pk", "updated_at"))

    out, _err = run_command(path)

    assert "3 rows imported: 0 new, 0 updated, 3 unchanged." in out
    assert snapshot() == before
    assert dict(Contact.objects.values_list("pk", "updated_at")) == stamps


def test_changing_a_phone_number_updates_that_one_contact(registry, tmp_path):
    path = write_xlsx(tmp_path / "contacts.xlsx", HEADERS, good_rows())
    run_command(path)
    before = {c.name: (c.pk, c.updated_at) for c in Contact.objects.all()}

    rows = good_rows()
    rows[2][4] = "+81 3 5555 0000"
    write_xlsx(path, HEADERS, rows)
    out, _err = run_command(path)

    assert "3 rows imported: 0 new, 1 updated, 2 unchanged." in out
    assert Contact.objects.count() == 3
    aiko = Contact.objects.get(name="Aiko Tanaka")
    assert aiko.phone == "+81 3 5555 0000"
    assert aiko.pk == before["Aiko Tanaka"][0]
    for contact in Contact.objects.exclude(pk=aiko.pk):
        assert contact.updated_at == before[contact.name][1]


# --- export, then import the export ------------------------------------------------------------


def _assorted_contacts(registry):
    Contact.objects.bulk_create([
        Contact(state=registry["CHE"], role="mission", name="Permanent Mission of Switzerland",
                phone="+41 22 917 1234", fax="+41 22 917 0000", email="gva@che.example",
                address="Chemin de l'Impératrice 1\n1292 Chambésy", language="fr"),
        Contact(state=registry["CIV"], role="pr", name="Kouadio Yao", honorific="H.E. Mr.",
                position="Ambassador", language="fr", is_active=False),
        Contact(state=registry["CHN"], role="focal_point", name="李明", process="GFMD",
                language="zh-hans", notes="请用中文"),
        Contact(state=registry["SAU"], role="ministry", name="محمد العتيبي", language="ar",
                organization="وزارة الخارجية"),
        Contact(state=registry["RUS"], role="dpr", name="Иван Петров", language="ru"),
        Contact(state=registry["VAT"], role="other", name="=HYPERLINK(\"http://x\",\"y\")",
                notes="+1 more", language="es"),
        Contact(state=registry["PSE"], role="mission", name="@mission", notes="-not a formula",
                phone="0041 22 000"),
        Contact(state=registry["BHS"], role="pr", name="-Dash", phone="12345"),
    ])


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_export_then_import_changes_nothing(registry, tmp_path, suffix):
    _assorted_contacts(registry)
    before = snapshot()
    path = tmp_path / f"export.{suffix}"

    out = io.StringIO()
    call_command("export_contacts", str(path), stdout=out)
    assert "8 contacts written" in out.getvalue()

    out, err = run_command(path)

    assert err == ""
    assert "8 rows imported: 0 new, 0 updated, 8 unchanged." in out
    assert snapshot() == before
    che = Contact.objects.get(state__iso3="CHE")
    assert che.phone == "+41 22 917 1234"
    assert Contact.objects.get(state__iso3="BHS").phone == "12345"


def _exported_rows(path):
    if path.suffix == ".csv":
        text = path.read_bytes().decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
    else:
        sheet = load_workbook(path).active
        rows = [["" if v is None else v for v in row]
                for row in sheet.iter_rows(values_only=True)]
    headers = rows[0]
    return headers, [dict(zip(headers, row, strict=True)) for row in rows[1:]]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_export_is_formula_safe(registry, tmp_path, suffix):
    _assorted_contacts(registry)
    path = tmp_path / f"export.{suffix}"

    assert contacts_export(path=path) == 8

    headers, rows = _exported_rows(path)
    assert headers == ["country", "role", "process", "honorific", "name", "position",
                       "organization", "address", "email", "fax", "phone", "language",
                       "active", "notes"]
    by_country = {row["country"]: row for row in rows}
    assert by_country["Holy See"]["name"] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert by_country["Holy See"]["notes"] == "'+1 more"
    assert by_country["State of Palestine"]["name"] == "'@mission"
    assert by_country["State of Palestine"]["notes"] == "'-not a formula"
    assert by_country["Bahamas"]["name"] == "'-Dash"
    assert by_country["Switzerland"]["phone"] == "'+41 22 917 1234"
    # Nothing else is touched.
    assert by_country["State of Palestine"]["phone"] == "0041 22 000"
    assert by_country["China"]["name"] == "李明"
    assert by_country["Côte d'Ivoire"]["active"] == "no"
    for row in rows:
        for value in row.values():
            assert not str(value).startswith(("=", "+", "-", "@")), row
    if suffix == "xlsx":
        # No cell is stored as a formula.
        sheet = load_workbook(path).active
        assert all(cell.data_type != "f" for r in sheet.iter_rows() for cell in r)


def test_export_csv_is_utf8_with_bom(registry, tmp_path):
    _assorted_contacts(registry)
    path = tmp_path / "export.csv"
    contacts_export(path=path)
    content = path.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    assert "Иван Петров" in content.decode("utf-8-sig")


def test_export_of_an_empty_registry_imports_as_nothing(registry, tmp_path):
    path = tmp_path / "export.xlsx"
    assert contacts_export(path=path) == 0
    outcome = contacts_import(source=path)
    # Refused, as every import refuses a sheet with column names and no rows under them.
    assert not outcome.ok and outcome.total == 0 and not outcome.written
    assert "has column names but no rows under them" in outcome.file_errors[0]


# --- dry run -----------------------------------------------------------------------------------


def test_dry_run_writes_nothing(registry, tmp_path):
    Contact.objects.create(state=registry["JPN"], role="focal_point", name="Aiko Tanaka",
                           phone="old")
    before = snapshot()
    rows = good_rows()
    rows[2][4] = "new"
    path = write_xlsx(tmp_path / "contacts.xlsx", HEADERS, rows)

    out, err = run_command(path, "--dry-run")

    assert err == ""
    assert "3 rows would be imported (dry run): 2 new, 1 updated, 0 unchanged." in out
    assert snapshot() == before

    outcome = contacts_import(source=path, dry_run=True)
    assert outcome.ok and not outcome.written
    assert snapshot() == before


def test_dry_run_still_reports_bad_rows(registry, tmp_path):
    rows = [*good_rows(), ["Kosovo", "mission", "Mission of Kosovo", "", "", "en"]]
    path = write_xlsx(tmp_path / "contacts.xlsx", HEADERS, rows)

    _message, err = refused(path, "--dry-run")

    assert "Row 4 (line 5 of the sheet)" in err
    assert Contact.objects.count() == 0


# --- header and language spellings -------------------------------------------------------------


def test_header_spellings_and_language_names(registry, tmp_path):
    headers = ["Country", "Role", "Name", "E-mail", "Preferred language", "Telephone "]
    rows = [["France", "Permanent Mission", "Mission de la France", "fr@example.org",
             "Français", "+33 1"],
            ["Belgium", "Focal point", "Marie Dupont", "md@example.org", "fr", ""],
            ["Egypt", "Permanent Representative", "Ahmed Hassan", "ah@example.org", "Arabic",
             ""]]
    path = write_xlsx(tmp_path / "contacts.xlsx", headers, rows)

    out, err = run_command(path)

    assert err == "" and "3 new" in out
    got = {c.state.iso3: (c.role, c.email, c.language, c.phone)
           for c in Contact.objects.select_related("state")}
    assert got == {
        "FRA": ("mission", "fr@example.org", "fr", "+33 1"),
        "BEL": ("focal_point", "md@example.org", "fr", ""),
        "EGY": ("pr", "ah@example.org", "ar", ""),
    }


def test_minimal_sheet_uses_defaults(registry, tmp_path):
    path = write_xlsx(tmp_path / "contacts.xlsx", ["country", "role", "name"],
                      [["Peru", "mission", "Misión Permanente del Perú"]])

    assert contacts_import(source=path).ok

    contact = Contact.objects.get()
    assert (contact.state.iso3, contact.language, contact.is_active) == ("PER", "en", True)


def test_numbers_typed_into_text_columns_stay_digits(registry, tmp_path):
    path = write_xlsx(tmp_path / "contacts.xlsx", ["country", "role", "name", "phone", "fax"],
                      [[4, "mission", "Mission of Afghanistan", 41229171234, 4122.0]])

    assert contacts_import(source=path).ok

    contact = Contact.objects.get()
    assert (contact.state.iso3, contact.phone, contact.fax) == ("AFG", "41229171234", "4122")


# --- number of queries -------------------------------------------------------------------------


def _large_rows(states, n):
    roles = ["mission", "pr", "dpr", "focal_point", "ministry"]
    return [[states[i % len(states)].iso3, roles[(i // len(states)) % 5], f"Person {i}",
             f"p{i}@example.org", "", "en"] for i in range(n)]


def _count_queries(path, **kwargs):
    with CaptureQueriesContext(connection) as ctx:
        outcome = contacts_import(source=path, **kwargs)
    assert outcome.ok, [str(p) for p in outcome.problems[:3]]
    return ctx.captured_queries


def _per_row_kinds(queries):
    """Classify what each query does, to tell the per-row ones from the rest."""
    kinds = Counter()
    for query in queries:
        sql = query["sql"]
        if sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            kinds["savepoint"] += 1
        elif sql.startswith("INSERT"):
            kinds["insert"] += 1
        elif sql.startswith("UPDATE"):
            kinds["update"] += 1
        elif sql.startswith('SELECT 1 AS "a" FROM "surveys_state"'):
            kinds["state exists"] += 1
        else:
            kinds["other"] += 1
    return kinds


def test_975_rows_import_in_one_go(registry, tmp_path):
    states = sorted(registry.values(), key=lambda s: s.iso3)
    path = write_xlsx(tmp_path / "large.xlsx", HEADERS, _large_rows(states, 975))

    outcome = contacts_import(source=path)

    assert outcome.ok and outcome.written and outcome.new == 975
    assert Contact.objects.count() == 975
    assert set(Contact.objects.values_list("state__iso3", flat=True)) == set(registry)
    assert Counter(Contact.objects.values_list("state_id", flat=True)).most_common(1)[0][1] == 5


def test_large_import_reads_existing_contacts_and_registry_once(registry, tmp_path):
    """Besides the per-row writes, the only queries are a fixed few (registry, contacts).

    What is allowed to grow with the rows is listed in _per_row_kinds; everything else
    (reading the registry, the existing contacts, the uniqueness checks) must not.
    """
    states = sorted(registry.values(), key=lambda s: s.iso3)
    small = write_xlsx(tmp_path / "small.xlsx", HEADERS, _large_rows(states, 50))
    large = write_xlsx(tmp_path / "large.xlsx", HEADERS, _large_rows(states, 975))

    small_kinds = _per_row_kinds(_count_queries(small, dry_run=True))
    large_kinds = _per_row_kinds(_count_queries(large, dry_run=True))

    assert small_kinds["other"] == large_kinds["other"] < 10
    # Rows are written in batches, not one INSERT per row.
    assert 0 < large_kinds["insert"] <= 975 // 25
    assert large_kinds["update"] == 0


def test_large_import_queries_stay_below_a_per_row_ceiling(
        registry, tmp_path, django_assert_max_num_queries):
    """A guard against regressions: well under one query per row."""
    states = sorted(registry.values(), key=lambda s: s.iso3)
    path = write_xlsx(tmp_path / "large.xlsx", HEADERS, _large_rows(states, 975))

    with django_assert_max_num_queries(4 * 975 + 20):
        outcome = contacts_import(source=path, dry_run=True)
    assert outcome.ok and outcome.new == 975


def test_large_import_does_not_query_the_registry_per_row(registry, tmp_path):
    states = sorted(registry.values(), key=lambda s: s.iso3)
    small = write_xlsx(tmp_path / "small.xlsx", HEADERS, _large_rows(states, 50))
    large = write_xlsx(tmp_path / "large.xlsx", HEADERS, _large_rows(states, 975))

    small_kinds = _per_row_kinds(_count_queries(small, dry_run=True))
    large_kinds = _per_row_kinds(_count_queries(large, dry_run=True))

    assert large_kinds["state exists"] == small_kinds["state exists"]


def test_large_import_runs_a_bounded_number_of_queries(registry, tmp_path):
    states = sorted(registry.values(), key=lambda s: s.iso3)
    small = write_xlsx(tmp_path / "small.xlsx", HEADERS, _large_rows(states, 50))
    large = write_xlsx(tmp_path / "large.xlsx", HEADERS, _large_rows(states, 975))

    small_count = len(_count_queries(small, dry_run=True))
    large_count = len(_count_queries(large, dry_run=True))

    assert large_count - small_count < 20

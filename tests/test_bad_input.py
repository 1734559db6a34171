"""The bad-input corpus (tests/data/bad/): every file refused plainly, the database unchanged.

Each file listed in ``tests/data/bad/manifest.json`` (written with the files by
``scripts/build_bad_corpus.py``; ``README.md`` beside them says what is wrong with
each) goes through every importer it names — contacts, questionnaires (XLSForm),
replies, codebooks — by the three ways staff reach it: the service, the management
command and the admin upload screen. For each:

* the refusal contains the words the manifest gives for that file and importer;
* a command fails with a non-zero exit status (``CommandError``);
* an admin screen answers 200 with the message on the page: never a server error (the
  test client re-raises any exception a view lets through);
* the database holds exactly what it held before: every row of every model of
  ``surveys`` and ``analysis`` (history tables included) and the admin log, in a
  world that has something to lose (a submitted reply, contacts, a codebook);
* it takes less than :data:`SECONDS_PER_FILE`.

Memory: each file is read once more by each reader it reaches (the table reader of
contacts, replies and codebooks; the XLSForm reader; the .qdc reader) under
``tracemalloc``, whose peak must stay under :data:`PYTHON_MEMORY_CEILING_MB`.
``tracemalloc`` does not see memory taken by calamine's Rust code; that is bounded
by the checks made before parsing (50 MB as uploaded, 200 MB unpacked), and the
growth of the process's peak resident size is held under
:data:`PROCESS_GROWTH_CEILING_MB` as well.
"""

from __future__ import annotations

import html
import io
import json
import resource
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from analysis.models import Code
from analysis.refiqda import codebook_from_qdc
from analysis.services.codebook import codebook_import_xlsx
from surveys.admin.reply_import import import_directory
from surveys.models import Choice, Contact, Question, Questionnaire
from surveys.services.contacts import contacts_import
from surveys.services.questionnaires import question_ensure_yes_no_choices
from surveys.services.recipients import recipients_add
from surveys.services.reply_import import responses_import
from surveys.services.responses import response_save
from surveys.xlsform import XlsformError, questionnaire_from_xlsform

CORPUS = Path(__file__).parent / "data" / "bad"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
SECONDS_PER_FILE = 10  # generous for CI; the slowest file (a million rows) takes about 2 s
PYTHON_MEMORY_CEILING_MB = 200
PROCESS_GROWTH_CEILING_MB = 600
QUESTIONNAIRE = "HLD-2008"

CASES = [(entry["file"], importer) for entry in MANIFEST for importer in entry["importers"]]
EXPECTED = {(entry["file"], importer): entry["expected"][importer]
            for entry in MANIFEST for importer in entry["importers"]}


def case_id(case) -> str:
    return "-".join(case)


# --- a world with something to lose ----------------------------------------------------------


@pytest.fixture
def world(registry):
    """A questionnaire sent to five States, France's reply, contacts and a codebook."""
    questionnaire = Questionnaire.objects.create(
        code=QUESTIONNAIRE, title={"en": "Follow-up to the High-level Dialogue"},
        languages=["en", "fr"], status=Questionnaire.Status.OPEN)
    add = questionnaire.questions.create
    add(order=1, code="views", type=Question.Type.TEXT, required=True, text={"en": "Views"})
    useful = add(order=2, code="useful", type=Question.Type.YES_NO, text={"en": "Useful?"})
    question_ensure_yes_no_choices(question=useful)
    follow_up = add(order=3, code="follow_up", type=Question.Type.SINGLE,
                    text={"en": "Follow-up"})
    Choice.objects.bulk_create(
        Choice(question=follow_up, order=n, value=value, label={"en": value.title()})
        for n, value in enumerate(["forum", "agenda", "dialogue"], start=1))
    add(order=4, code="meetings", type=Question.Type.NUMBER, text={"en": "Meetings held"})
    recipients_add(questionnaire=questionnaire,
                   states=[registry[iso3] for iso3 in ("FRA", "DEU", "SEN", "KOR", "PRK")])
    response_save(recipient=questionnaire.recipients.get(state=registry["FRA"]),
                  data={"views": "Le Forum est utile.", "useful": "yes", "follow_up": "forum",
                        "meetings": Decimal(2)}, language="fr", submit=True)
    Contact.objects.create(state=registry["FRA"], role="mission",
                           name="Permanent Mission of France", email="france@example.org")
    useful_code = Code.objects.create(questionnaire=questionnaire, key="useful",
                                      label="The Forum is useful", order=1)
    Code.objects.create(questionnaire=questionnaire, key="sole", label="Sole follow-up",
                        parent=useful_code, order=2)
    return questionnaire


def database() -> dict[str, list[tuple]]:
    """Every row of every model of surveys and analysis, and the admin log."""
    models = [*apps.get_app_config("surveys").get_models(),
              *apps.get_app_config("analysis").get_models(),
              apps.get_model("admin", "LogEntry")]
    return {model._meta.label: list(model._base_manager.order_by("pk").values_list())
            for model in models}


# --- the three ways in -------------------------------------------------------------------------


def through_service(importer: str, path: Path, questionnaire: Questionnaire) -> str:
    """The refusal's text from the service; fails if the service accepted the file."""
    if importer == "contacts":
        outcome = contacts_import(source=path)
    elif importer == "replies":
        outcome = responses_import(questionnaire=questionnaire, source=path)
    elif importer == "codebooks" and path.suffix in (".qdc", ".xml"):
        outcome = codebook_from_qdc(questionnaire=questionnaire, content=path.read_bytes())
    elif importer == "codebooks":
        outcome = codebook_import_xlsx(questionnaire=questionnaire, source=path.read_bytes(),
                                       filename=path.name)
    else:
        with pytest.raises(XlsformError) as refused:
            questionnaire_from_xlsform(path.read_bytes())
        return "\n".join(refused.value.messages)
    assert not outcome.ok and not outcome.written, f"{path.name} was accepted"
    return "\n".join([*outcome.file_errors, *(str(p) for p in outcome.problems)])


COMMANDS = {
    "contacts": lambda path: ("import_contacts", str(path)),
    "questionnaires": lambda path: ("import_questionnaire", str(path)),
    "replies": lambda path: ("import_responses", QUESTIONNAIRE, str(path)),
    "codebooks": lambda path: ("import_codebook", QUESTIONNAIRE, str(path)),
}


def through_command(importer: str, path: Path, questionnaire: Questionnaire) -> str:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command(*COMMANDS[importer](path), stdout=out, stderr=err)
    assert refused.value.returncode != 0  # what manage.py exits with
    return f"{err.getvalue()}\n{refused.value}"


def through_admin(importer: str, path: Path, questionnaire: Questionnaire, client,
                  expected: str) -> str:
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    if importer == "contacts":
        # The format menu, as the screen's script sets it from the file name.
        url = reverse("admin:surveys_contact_import")
        data = {"import_file": upload, "format": "1" if path.suffix == ".csv" else "0",
                "resource": "0"}
    elif importer == "questionnaires":
        url = reverse("admin:surveys_questionnaire_import_xlsform")
        data = {"file": upload, "code": ""}
    elif importer == "replies":
        url = reverse("admin:surveys_response_import")
        data = {"questionnaire": questionnaire.pk, "file": upload}
    else:
        url = reverse("admin:analysis_code_import")
        data = {"questionnaire": questionnaire.pk, "file": upload}
    response = client.post(url, data)
    assert response.status_code == 200, f"{path.name}: HTTP {response.status_code}"
    page = html.unescape(response.content.decode())
    assert "Confirm import" not in page and 'name="confirm"' not in page
    if importer == "replies":
        waiting = import_directory()
        assert not (waiting.exists() and any(waiting.iterdir())), "an upload was left waiting"
    # The words come from the refusal, not from the screen's own texts.
    assert expected not in html.unescape(client.get(url).content.decode())
    return page


# --- the corpus ---------------------------------------------------------------------------------


def test_the_corpus_is_complete_and_small():
    listed = {entry["file"] for entry in MANIFEST}
    present = {p.name for p in CORPUS.iterdir() if not p.name.startswith(".")} \
        - {"README.md", "manifest.json"}
    assert listed == present
    assert len(listed) >= 30
    assert sum(p.stat().st_size for p in CORPUS.iterdir()) < 3 * 1024 * 1024
    importers = {importer for entry in MANIFEST for importer in entry["importers"]}
    assert importers == {"contacts", "questionnaires", "replies", "codebooks"}
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in listed)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_file_is_refused_with_a_message_and_changes_nothing(world, admin_client, case):
    """Through the service, then the command, then the admin screen (one world for the
    three: each must leave it exactly as it was)."""
    name, importer = case
    path = CORPUS / name
    expected = EXPECTED[case]
    ways = {
        "service": lambda: through_service(importer, path, world),
        "command": lambda: through_command(importer, path, world),
        "admin": lambda: through_admin(importer, path, world, admin_client, expected),
    }
    for way, run in ways.items():
        before = database()
        started = time.monotonic()
        said = run()
        seconds = time.monotonic() - started
        assert expected in said, f"{name} through {importer} ({way}) said:\n{said[:3000]}"
        assert database() == before, f"{name} through {importer} ({way}) changed the database"
        assert seconds < SECONDS_PER_FILE, f"{name} through {importer} ({way}): {seconds:.1f} s"


def _readers() -> list[tuple[str, str]]:
    """(file, importer) once for each reader a file reaches: the table reader (the first
    of contacts, replies, codebooks), the XLSForm reader, the .qdc reader."""
    cases = []
    for entry in MANIFEST:
        tables = [i for i in entry["importers"] if i != "questionnaires"]
        if tables:
            cases.append((entry["file"], tables[0]))
        if "questionnaires" in entry["importers"]:
            cases.append((entry["file"], "questionnaires"))
    return cases


@pytest.mark.parametrize("case", _readers(), ids=case_id)
def test_every_file_is_refused_in_bounded_memory_and_time(world, case):
    name, importer = case
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.monotonic()
    try:
        said = through_service(importer, CORPUS / name, world)
        seconds = time.monotonic() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024  # KB
    assert EXPECTED[case] in said
    assert peak / 1024 / 1024 < PYTHON_MEMORY_CEILING_MB, f"{name}: {peak / 2**20:.0f} MB"
    assert growth < PROCESS_GROWTH_CEILING_MB, f"{name}: the process grew {growth:.0f} MB"
    # Under tracemalloc Python runs slower: twice the time allowed.
    assert seconds < 2 * SECONDS_PER_FILE, f"{name} took {seconds:.1f} s"


# --- what is accepted, by decision --------------------------------------------------------------

CONTACT_ROWS = [["country", "role", "name"], ["Côte d'Ivoire", "mission", "Mission de CIV"],
                ["Allemagne", "pr", "Antje Leendertse"]]


def _contacts(tmp_path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    outcome = contacts_import(source=path)
    assert outcome.ok, (outcome.file_errors, [str(p) for p in outcome.problems])
    return sorted(Contact.objects.values_list("state__iso3", "name"))


def test_semicolon_csv_in_utf8_with_a_bom_is_read(registry, tmp_path):
    text = "\r\n".join(";".join(row) for row in CONTACT_ROWS) + "\r\n"
    got = _contacts(tmp_path, "contacts.csv", b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert got == [("CIV", "Mission de CIV"), ("DEU", "Antje Leendertse")]


def test_utf16_with_a_bom_as_excel_saves_unicode_text_is_read(registry, tmp_path):
    text = "\r\n".join("\t".join(row) for row in CONTACT_ROWS) + "\r\n"
    got = _contacts(tmp_path, "contacts.csv", text.encode("utf-16"))
    assert got == [("CIV", "Mission de CIV"), ("DEU", "Antje Leendertse")]


def _xlsx(sheets: dict[str, list[list]], hidden=()) -> bytes:
    workbook = Workbook()
    for index, (title, rows) in enumerate(sheets.items()):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = title
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_formulas_are_read_through_the_value_excel_saved(registry, tmp_path):
    import zipfile

    content = _xlsx({"Contacts": [CONTACT_ROWS[0], ["CIV", "mission", '="Mission de "&A2']]})
    # openpyxl writes no result; Excel would have saved one: put it where Excel puts it.
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</f><v />", b'</f><v>Mission de CIV</v>') \
                    .replace(b'<c r="C2">', b'<c r="C2" t="str">')
            target.writestr(info, data)
    assert _contacts(tmp_path, "contacts.xlsx", out.getvalue()) == [("CIV", "Mission de CIV")]


def test_the_first_visible_sheet_is_read(registry, tmp_path):
    content = _xlsx({"Old": [["nothing", "to"], ["see", "here"]], "Contacts": CONTACT_ROWS},
                    hidden=("Old",))
    got = _contacts(tmp_path, "contacts.xlsx", content)
    assert got == [("CIV", "Mission de CIV"), ("DEU", "Antje Leendertse")]


def test_blank_rows_between_and_after_the_data_are_skipped(registry, tmp_path):
    rows = [CONTACT_ROWS[0], CONTACT_ROWS[1], [], [], ["", "", ""], CONTACT_ROWS[2]]
    rows += [["", ""]] * 2000
    got = _contacts(tmp_path, "contacts.xlsx", _xlsx({"Contacts": rows}))
    assert got == [("CIV", "Mission de CIV"), ("DEU", "Antje Leendertse")]

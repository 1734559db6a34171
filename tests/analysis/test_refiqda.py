"""Codebooks to and from REFI-QDA .qdc files, as NVivo, ATLAS.ti, MAXQDA and QualCoder
exchange them: a round trip keeps the tree, definitions, keys, groups and guids; a
hand-written file like those programs write imports; unsafe or broken XML is refused
with a clear message and writes nothing.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from analysis.models import Code
from analysis.refiqda import (
    EXCLUSIVE_SET_MARKER,
    GUID_NAMESPACE,
    MAX_BYTES,
    NAMESPACE,
    code_guid,
    codebook_from_qdc,
    codebook_to_qdc,
)
from tests.analysis.test_codebook import make_codebook, make_survey, snapshot

NS = {"q": NAMESPACE}


def parse(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 - our own export, in a test


# --- export and round trip ----------------------------------------------------------------------


@pytest.mark.django_db
def test_export_nests_codes_with_descriptions_stable_guids_and_sets():
    questionnaire = make_survey()
    make_codebook(questionnaire)
    content = codebook_to_qdc(questionnaire)
    assert content.startswith(b"<?xml")
    root = parse(content)
    assert root.tag == f"{{{NAMESPACE}}}CodeBook" and root.get("origin") == "Inquiry"
    top = root.findall("q:Codes/q:Code", NS)
    assert [c.get("name") for c in top] == ["The Global Forum", "Keep the item on the GA agenda"]
    children = top[0].findall("q:Code", NS)
    assert [c.get("name") for c in children] == [
        "The Forum is a useful outcome", "No opinion, or not a formal outcome",
        "The Forum should be the sole follow-up"]
    useful = children[0]
    assert useful.get("isCodable") == "true"
    assert useful.get("guid") == str(uuid.uuid5(GUID_NAMESPACE, "HLD-2008/useful"))
    assert useful.find("q:Description", NS).text == (
        "=The reply calls it useful.\n\n[key: useful]")
    assert children[2].find("q:Description", NS).text == "[key: sole_followup]"
    # The schema's order inside a code: the description, then the children.
    assert [child.tag.split("}")[1] for child in top[0]] == ["Description", "Code", "Code",
                                                             "Code"]
    (group,) = root.findall("q:Sets/q:Set", NS)
    assert group.get("name") == "forum_outcome"
    assert group.find("q:Description", NS).text.startswith(EXCLUSIVE_SET_MARKER)
    assert [m.get("guid") for m in group.findall("q:MemberCode", NS)] == [
        code_guid("HLD-2008", "useful"), code_guid("HLD-2008", "no_opinion")]
    assert codebook_to_qdc(questionnaire) == content  # exporting again: the same file


@pytest.mark.django_db
def test_round_trip_into_a_new_questionnaire_keeps_tree_definitions_keys_and_groups():
    questionnaire = make_survey()
    make_codebook(questionnaire)
    content = codebook_to_qdc(questionnaire)
    next_round = make_survey("HLD-2010")
    outcome = codebook_from_qdc(questionnaire=next_round, content=content)
    assert outcome.ok and outcome.written and outcome.new == 5, outcome.file_errors
    original, copied = snapshot(questionnaire), snapshot(next_round)
    assert set(copied) == set(original)
    for key, (label, definition, parent, group, _question, _order, _kw) in original.items():
        assert copied[key][:4] == (label, definition, parent, group)
    # Question assignments and keywords travel in the .xlsx, not in a .qdc.
    assert copied["useful"][4] == "" and copied["useful"][6] == ()

    # Into the questionnaire it came from: nothing changes, questions and keywords stay.
    again = codebook_from_qdc(questionnaire=questionnaire, content=content)
    assert again.ok and (again.new, again.updated, again.unchanged) == (0, 0, 5)
    assert snapshot(questionnaire) == original


@pytest.mark.django_db
def test_edits_made_in_another_program_come_back_by_key_or_by_guid():
    questionnaire = make_survey()
    make_codebook(questionnaire)
    text = codebook_to_qdc(questionnaire).decode()
    # Renamed in NVivo; the description of another code rewritten without its key line
    # (its guid, which the programs keep, still says which code it is); one code moved.
    text = text.replace('name="The Forum is a useful outcome"', 'name="Useful outcome"')
    text = text.replace("[key: sole_followup]", "Only the Forum, nothing else.")
    outcome = codebook_from_qdc(questionnaire=questionnaire, content=text.encode())
    assert outcome.ok and outcome.new == 0, outcome.file_errors
    codes = snapshot(questionnaire)
    assert codes["useful"][0] == "Useful outcome"
    assert codes["useful"][4:6] == ("forum_useful", 2)  # question kept
    assert codes["sole_followup"][1] == "Only the Forum, nothing else."


# --- files written by other programs ------------------------------------------------------------

QUALCODER_LIKE = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="urn:QDA-XML:codebook:1.0 Codebook.xsd" origin="QualCoder 3.5">
  <Codes>
    <Code guid="{8E3C1B52-0F0B-4C43-8E6B-4A7E3B0B9F01}" name="Global Forum" isCodable="false"
          color="#F5A9A9">
      <Description>Category for views on the Forum.</Description>
      <Code guid="8e3c1b52-0f0b-4c43-8e6b-4a7e3b0b9f02" name="Useful outcome" isCodable="true"
            color="#81BEF7">
        <Description>The reply calls the Forum useful &amp; valuable.</Description>
      </Code>
      <Code guid="8e3c1b52-0f0b-4c43-8e6b-4a7e3b0b9f03" name="Sole follow-up" isCodable="true"/>
      <Code guid="8e3c1b52-0f0b-4c43-8e6b-4a7e3b0b9f04" name="Sole follow up" isCodable="true"/>
    </Code>
    <Code guid="8e3c1b52-0f0b-4c43-8e6b-4a7e3b0b9f05" name="大会议程" isCodable="true">
      <Description>保留在大会议程上。</Description>
      <!-- a comment, as some programs write -->
      <Code guid="8e3c1b52-0f0b-4c43-8e6b-4a7e3b0b9f06" name="Régional  et thématique"
            isCodable="true" color="#ABC"/>
    </Code>
  </Codes>
  <Sets>
    <Set guid="8e3c1b52-0f0b-4c43-8e6b-4a7e3b0b9f10" name="Favourites">
      <MemberCode guid="8e3c1b52-0f0b-4c43-8e6b-4a7e3b0b9f02"/>
    </Set>
  </Sets>
</CodeBook>
"""


@pytest.mark.django_db
def test_import_of_a_file_written_by_another_program():
    questionnaire = make_survey()
    outcome = codebook_from_qdc(questionnaire=questionnaire, content=QUALCODER_LIKE.encode())
    assert outcome.ok and outcome.written and outcome.new == 6, outcome.file_errors
    codes = snapshot(questionnaire)
    assert codes == {
        "global_forum": ("Global Forum", "Category for views on the Forum.", "", "", "", 1, ()),
        "useful_outcome": ("Useful outcome", "The reply calls the Forum useful & valuable.",
                           "global_forum", "", "", 2, ()),
        "sole_follow_up": ("Sole follow-up", "", "global_forum", "", "", 3, ()),
        "sole_follow_up_2": ("Sole follow up", "", "global_forum", "", "", 4, ()),
        "code": ("大会议程", "保留在大会议程上。", "", "", "", 5, ()),
        "regional_et_thematique": ("Régional et thématique", "", "code", "", "", 6, ()),
    }
    assert any("Favourites" in w for w in outcome.warnings)  # a set that is not a group
    assert any("not codable" in w for w in outcome.warnings)

    # Imported again, the names give the same keys: nothing doubles.
    again = codebook_from_qdc(questionnaire=questionnaire, content=QUALCODER_LIKE.encode())
    assert again.ok and again.new == 0 and again.unchanged == 6


@pytest.mark.django_db
def test_a_utf16_file_and_a_whole_project_are_read():
    questionnaire = make_survey()
    utf16 = QUALCODER_LIKE.replace('encoding="utf-8"', 'encoding="UTF-16"').encode("utf-16")
    assert codebook_from_qdc(questionnaire=questionnaire, content=utf16).new == 6

    other = make_survey("HLD-2010")
    project = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="HLD">
  <CodeBook><Codes>
    <Code guid="1d2c3b4a-0000-4000-8000-000000000001" name="Useful" isCodable="true">
      <NoteRef targetGUID="1d2c3b4a-0000-4000-8000-0000000000ff"/>
    </Code>
  </Codes></CodeBook>
</Project>"""
    outcome = codebook_from_qdc(questionnaire=other, content=project.encode())
    assert outcome.ok and list(snapshot(other)) == ["useful"]


# --- refused files ------------------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
<Code guid="1d2c3b4a-0000-4000-8000-000000000001" name="&lol3;" isCodable="true"/>
</Codes></CodeBook>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE CodeBook [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
<Code guid="1d2c3b4a-0000-4000-8000-000000000001" name="&secret;" isCodable="true"/>
</Codes></CodeBook>"""


@pytest.mark.django_db
@pytest.mark.parametrize(("content", "message"), [
    (BILLION_LAUGHS.encode(), "DOCTYPE or ENTITY declaration"),
    (EXTERNAL_ENTITY.encode(), "DOCTYPE or ENTITY declaration"),
    (EXTERNAL_ENTITY.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
     .encode("utf-16"), "DOCTYPE or ENTITY declaration"),
    (b"<CodeBook xmlns='urn:QDA-XML:codebook:1.0'><Codes><Code name='x'></Codes>",
     "not well-formed XML (line 1, column"),
    (b"", "not well-formed XML"),
    (b"<CodeBook>\xc3\x28</CodeBook>", "not valid UTF-8 text (byte 10)"),
    (b"<?xml version='1.0' encoding='klingon'?><CodeBook/>", "unknown encoding"),
    (b"<html><body>Not a codebook</body></html>", "not a REFI-QDA codebook"),
    (b"<CodeBook xmlns='urn:QDA-XML:codebook:1.0'/>", "no <Codes>"),
    (b"<CodeBook xmlns='urn:QDA-XML:codebook:1.0'><Codes/></CodeBook>", "holds no codes"),
    (b"<CodeBook>" + b" " * MAX_BYTES + b"</CodeBook>", "larger than"),
])
def test_unsafe_or_broken_files_are_refused_with_a_clear_message(content, message):
    questionnaire = make_survey()
    make_codebook(questionnaire)
    before = snapshot(questionnaire)
    outcome = codebook_from_qdc(questionnaire=questionnaire, content=content)
    assert not outcome.ok and not outcome.written
    assert message in " ".join(outcome.file_errors)
    assert snapshot(questionnaire) == before


@pytest.mark.django_db
def test_bad_codes_are_all_listed_and_nothing_is_written():
    questionnaire = make_survey()
    content = """<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="NVivo"><Codes>
      <Code guid="1d2c3b4a-0000-4000-8000-000000000001" name="" isCodable="true"/>
      <Code guid="1d2c3b4a-0000-4000-8000-000000000002" name="A" isCodable="true">
        <Description>[key: same]</Description></Code>
      <Code guid="1d2c3b4a-0000-4000-8000-000000000003" name="B" isCodable="true">
        <Description>[key: same]</Description></Code>
      <Code guid="1d2c3b4a-0000-4000-8000-000000000004" name="%s" isCodable="true"/>
    </Codes></CodeBook>""" % ("x" * 201)
    outcome = codebook_from_qdc(questionnaire=questionnaire, content=content.encode())
    assert not outcome.ok and not Code.objects.exists()
    errors = outcome.file_errors
    assert len(errors) == 3
    assert "(number 1 in the file): The code has no name." in errors[0]
    assert "“B” (number 3 in the file): The key “same” is used twice" in errors[1]
    assert "longer than 200 characters" in errors[2]


@pytest.mark.django_db
def test_admin_imports_a_qdc_file(admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    questionnaire = make_survey()
    upload = SimpleUploadedFile("codebook.qdc", QUALCODER_LIKE.encode(), "application/xml")
    response = admin_client.post(reverse("admin:analysis_code_import"),
                                 {"questionnaire": questionnaire.pk, "file": upload},
                                 follow=True)
    assert response.status_code == 200
    content = response.content.decode()
    assert "6 rows imported: 6 new" in content and "Favourites" in content
    assert Code.objects.filter(questionnaire=questionnaire).count() == 6

    bad = SimpleUploadedFile("codebook.qdc", BILLION_LAUGHS.encode(), "application/xml")
    page = admin_client.post(reverse("admin:analysis_code_import"),
                             {"questionnaire": questionnaire.pk, "file": bad})
    assert page.status_code == 200 and "DOCTYPE or ENTITY declaration" in page.content.decode()

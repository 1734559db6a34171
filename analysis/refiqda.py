"""Codebooks as REFI-QDA .qdc files, the exchange format of NVivo, ATLAS.ti, MAXQDA
and QualCoder (Codebook.xsd, namespace ``urn:QDA-XML:codebook:1.0``).

What the file carries, and how an Inquiry codebook survives a trip through it:

* the tree of codes by nesting ``<Code>`` elements, the label as ``name`` and the
  definition as ``<Description>``;
* the **key**, which the standard has no place for (and its schema allows no extra
  attribute), as the last line of the description: ``[key: sole_followup]``. Other
  programs show and keep it as text. On import a code's key is, in this order: that
  line; else the key of the existing code whose guid the file repeats; else one
  made from the name ("Sole follow-up" → ``sole_follow_up``), which matches an
  existing code of that key;
* ``guid``: a UUID5 of the questionnaire code and the key, so exporting again gives
  the same guids and the other program recognises its codes;
* **exclusive groups** as ``<Sets>`` whose description starts with
  :data:`EXCLUSIVE_SET_MARKER`. Other sets (a program's "favourites") are left aside
  with a note. Question assignments and keywords travel only in the .xlsx.

Reading is guarded: the file is capped in size and any DOCTYPE or ENTITY
declaration is refused before the XML parser sees it, so entity-expansion ("billion
laughs") and external-entity attacks cannot happen with the standard library parser.
"""

from __future__ import annotations

import codecs
import re
import uuid
import xml.etree.ElementTree as ET  # noqa: S405 - input is screened first, see _screen
from dataclasses import dataclass, field

from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from analysis.models import Code
from analysis.services.codebook import (
    CodebookOutcome,
    CodeEntry,
    codebook_apply,
    codes_in_tree_order,
)
from surveys.models import Questionnaire

NAMESPACE = "urn:QDA-XML:codebook:1.0"
PROJECT_NAMESPACE = "urn:QDA-XML:project:1.0"
QDC_MIME = "application/xml"
MAX_BYTES = 5 * 1024 * 1024
MAX_CODES = 10_000
MAX_DEPTH = 64
# Fixed for ever: changing it would change every exported guid.
GUID_NAMESPACE = uuid.UUID("6f1d3a0e-5c1b-5a53-9a0e-2f1e6b7c0a11")
KEY_LINE = re.compile(r"(?:^|\n)[ \t]*\[key:\s*([A-Za-z0-9_][A-Za-z0-9_.-]*)\s*\][ \t]*\s*$")
# A file format marker, not an interface text: it stays in English in every file.
EXCLUSIVE_SET_MARKER = "Inquiry exclusive group"
_EXCLUSIVE_SET_TEXT = (EXCLUSIVE_SET_MARKER + ": a coder applies at most one of these codes "
                       "to a State's answer to a question.")
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>")
_DECLARED_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_FORBIDDEN = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class QdcError(ValueError):
    """The file cannot be read as a REFI-QDA codebook; the message says why, for staff."""


def code_guid(questionnaire_code: str, key: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"{questionnaire_code}/{key}"))


def _set_guid(questionnaire_code: str, group: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"{questionnaire_code}/set/{group}"))


def _description(code: Code) -> str:
    key_line = f"[key: {code.key}]"
    return f"{code.definition.strip()}\n\n{key_line}" if code.definition.strip() else key_line


# --- export -----------------------------------------------------------------------------------


def codebook_to_qdc(questionnaire: Questionnaire) -> bytes:
    """The questionnaire's codebook as a .qdc document (UTF-8 XML)."""
    codes = list(Code.objects.filter(questionnaire=questionnaire))
    # Plain tag names under an explicit xmlns: ElementTree's default_namespace option
    # refuses unqualified attributes (guid, name), which the standard requires.
    root = ET.Element("CodeBook", {"xmlns": NAMESPACE, "origin": "Inquiry"})
    codes_element = ET.SubElement(root, "Codes")
    element_of: dict[int, ET.Element] = {}
    groups: dict[str, list[Code]] = {}
    for code, depth in codes_in_tree_order(codes):
        parent = element_of.get(code.parent_id) if depth else codes_element
        element = ET.SubElement(parent, "Code", {
            "guid": code_guid(questionnaire.code, code.key), "name": code.label,
            "isCodable": "true"})
        ET.SubElement(element, "Description").text = _description(code)
        element_of[code.pk] = element
        if code.exclusive_group:
            groups.setdefault(code.exclusive_group, []).append(code)
    if groups:  # the schema wants at least one <Set> inside <Sets>
        sets = ET.SubElement(root, "Sets")
        for group, members in groups.items():
            element = ET.SubElement(sets, "Set", {
                "guid": _set_guid(questionnaire.code, group), "name": group})
            ET.SubElement(element, "Description").text = _EXCLUSIVE_SET_TEXT
            for code in members:
                ET.SubElement(element, "MemberCode",
                              {"guid": code_guid(questionnaire.code, code.key)})
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


# --- import -----------------------------------------------------------------------------------


def _screen(content: bytes) -> bytes:
    """The document as UTF-8 without its declaration, once it is known to be safe to parse.

    The text is decoded here (BOM, else the declared encoding, else UTF-8) and
    searched for DOCTYPE and ENTITY declarations; the parser then reads exactly the
    text that was searched.
    """
    if len(content) > MAX_BYTES:
        raise QdcError(_("The file is larger than %(mb)s MB; a codebook is much smaller.")
                       % {"mb": MAX_BYTES // (1024 * 1024)})
    if not content.strip():
        raise QdcError(_("The file is empty, so it is not well-formed XML."))
    if content.startswith(b"PK"):
        raise QdcError(_("This is a zip archive (a REFI-QDA project, .qdpx, or a workbook), not "
                         "a .qdc codebook, which is XML. Export the codebook alone as .qdc, or "
                         "import a workbook under its .xlsx name."))
    if content.startswith(codecs.BOM_UTF8):
        encoding, content = "utf-8", content[len(codecs.BOM_UTF8):]
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        declared = _DECLARED_ENCODING.search(content[:200].split(b"?>")[0])
        encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        codecs.lookup(encoding)
        text = content.decode(encoding)
    except LookupError as exc:
        raise QdcError(_("The file declares an unknown encoding “%(encoding)s”.")
                       % {"encoding": encoding}) from exc
    except UnicodeDecodeError as exc:
        raise QdcError(_("The file is not valid %(encoding)s text (byte %(pos)s).")
                       % {"encoding": encoding.upper(), "pos": exc.start}) from exc
    if _FORBIDDEN.search(text):
        raise QdcError(_("The file contains a DOCTYPE or ENTITY declaration, which a REFI-QDA "
                         "codebook never needs; it is refused for safety."))
    body = text.encode("utf-8")
    return _DECLARATION.sub(b"", body.lstrip(), count=1)


def _local(tag) -> tuple[str, str]:
    """("urn:…", "Code") of an element tag."""
    if not isinstance(tag, str):  # comments and processing instructions
        return "", ""
    if tag.startswith("{"):
        namespace, _sep, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def _children(element, name: str):
    return [child for child in element if _local(child.tag)[1] == name]


def _guid(value: str | None) -> str:
    try:
        return str(uuid.UUID((value or "").strip().strip("{}")))
    except ValueError:
        return ""


@dataclass
class _ReadCode:
    position: int
    name: str
    guid: str
    description: str | None
    parent: _ReadCode | None
    codable: bool
    key: str = ""
    problems: list[str] = field(default_factory=list)


def _read(content: bytes) -> tuple[list[_ReadCode], list[tuple[str, str, list[str]]]]:
    """The codes (document order) and the sets (name, description, member guids)."""
    try:
        root = ET.fromstring(_screen(content))  # noqa: S314 - screened: no DOCTYPE/ENTITY
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise QdcError(_("The file is not well-formed XML (line %(line)s, column %(column)s).")
                       % {"line": line, "column": column}) from exc
    namespace, name = _local(root.tag)
    if namespace == PROJECT_NAMESPACE and name == "Project":  # a whole project (.qde)
        books = _children(root, "CodeBook")
        if not books:
            raise QdcError(_("This REFI-QDA project holds no codebook."))
        sets_parent, root = root, books[0]
    elif namespace in (NAMESPACE, "") and name == "CodeBook":
        sets_parent = root
    else:
        raise QdcError(_("This is not a REFI-QDA codebook: the document is <%(name)s>, a .qdc "
                         "file is <CodeBook> in the namespace %(namespace)s.")
                       % {"name": name, "namespace": NAMESPACE})
    codes_elements = _children(root, "Codes")
    if not codes_elements:
        raise QdcError(_("The codebook has no <Codes> element."))

    codes: list[_ReadCode] = []
    stack = [(element, None, 1) for element in reversed(_children(codes_elements[0], "Code"))]
    while stack:
        element, parent, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise QdcError(_("Codes are nested more than %(n)s levels deep.") % {"n": MAX_DEPTH})
        if len(codes) >= MAX_CODES:
            raise QdcError(_("The file holds more than %(n)s codes.") % {"n": MAX_CODES})
        descriptions = _children(element, "Description")
        read = _ReadCode(
            position=len(codes) + 1, name=" ".join((element.get("name") or "").split()),
            guid=_guid(element.get("guid")), parent=parent,
            description=(descriptions[0].text or "") if descriptions else None,
            codable=(element.get("isCodable") or "true").strip().lower() not in ("false", "0"))
        if not read.name:
            read.problems.append(_("The code has no name."))
        codes.append(read)
        stack.extend((child, read, depth + 1) for child in reversed(_children(element, "Code")))

    sets = []
    for sets_element in _children(sets_parent, "Sets"):
        for element in _children(sets_element, "Set"):
            descriptions = _children(element, "Description")
            sets.append((" ".join((element.get("name") or "").split()),
                         (descriptions[0].text or "") if descriptions else "",
                         [_guid(m.get("guid")) for m in _children(element, "MemberCode")]))
    return codes, sets


def _derived_key(name: str, taken: set[str]) -> str:
    base = slugify(name).replace("-", "_")[:50].strip("_") or "code"
    key, number = base, 1
    while key in taken:
        number += 1
        key = f"{base}_{number}"
    return key


def codebook_from_qdc(*, questionnaire: Questionnaire, content: bytes,
                      replace: bool = False) -> CodebookOutcome:
    """Create or update the questionnaire's codes from a .qdc file: all codes or none.

    The tree comes from the nesting, labels from ``name``, definitions from
    ``<Description>`` (a code without one keeps its definition). See the module
    docstring for how keys are found.
    """
    try:
        read, sets = _read(content)
    except QdcError as exc:
        return CodebookOutcome(file_errors=[str(exc)])
    existing_keys = set(Code.objects.filter(questionnaire=questionnaire)
                        .values_list("key", flat=True))
    key_of_guid = {code_guid(questionnaire.code, key): key for key in existing_keys}

    claimed: set[str] = set()
    for code in read:
        match = KEY_LINE.search(code.description or "")
        code.key = match.group(1) if match else key_of_guid.get(code.guid, "")
        if code.key:
            claimed.add(code.key)
    for code in read:
        if not code.key:  # made from the name; an existing code of that key is updated
            code.key = _derived_key(code.name, claimed)
            claimed.add(code.key)

    outcome_warnings = []
    group_of: dict[str, str] = {}
    marked = [(name, members) for name, text, members in sets
              if text.strip().startswith(EXCLUSIVE_SET_MARKER)]
    others = [name for name, text, _members in sets
              if not text.strip().startswith(EXCLUSIVE_SET_MARKER)]
    if others:
        outcome_warnings.append(
            _("Sets left aside (Inquiry reads only its exclusive groups as sets): %(names)s.")
            % {"names": ", ".join(others)})
    problems_of_guid: dict[str, list[str]] = {}
    for name, members in marked:
        for guid in members:
            if guid in group_of and group_of[guid] != name:
                problems_of_guid.setdefault(guid, []).append(
                    _("The code is in two exclusive groups, “%(a)s” and “%(b)s”.")
                    % {"a": group_of[guid], "b": name})
            group_of[guid] = name
    unknown_members = {g for _name, members in marked for g in members} - {c.guid for c in read}
    if unknown_members:
        outcome_warnings.append(ngettext(
            "%(n)s set member names no code of the file and was left aside.",
            "%(n)s set members name no code of the file and were left aside.",
            len(unknown_members)) % {"n": len(unknown_members)})

    entries = []
    for code in read:
        definition = None
        if code.description is not None:
            definition = KEY_LINE.sub("", code.description).strip()
        entries.append(CodeEntry(
            position=code.position, key=code.key, label=code.name, definition=definition,
            parent=code.parent.key if code.parent else "",
            exclusive_group=group_of.get(code.guid, "") if marked else None,
            order=code.position,
            problems=[*code.problems, *problems_of_guid.get(code.guid, [])]))

    def describe(entry: CodeEntry, messages: list[str]) -> str:
        return _("Code “%(name)s” (number %(n)s in the file): %(messages)s") % {
            "name": entry.label or "?", "n": entry.position, "messages": " ".join(messages)}

    outcome = codebook_apply(entries, questionnaire=questionnaire, replace=replace,
                             describe=describe)
    not_codable = sum(1 for code in read if not code.codable)
    if not_codable and outcome.ok:
        outcome_warnings.append(
            ngettext("%(n)s code was a folder, not codable, in the other program; in Inquiry "
                     "coders can apply it.",
                     "%(n)s codes were folders, not codable, in the other program; in Inquiry "
                     "coders can apply them.", not_codable) % {"n": not_codable})
    outcome.warnings = outcome_warnings + outcome.warnings
    return outcome

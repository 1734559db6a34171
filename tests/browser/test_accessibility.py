"""Accessibility of the reply portal: axe-core in a real Chromium, in the six languages.

axe-core (``package.json``, installed into ``node_modules`` by ``make test``) is
injected into every page an official can reach, in every state it can be in, and run
with the WCAG 2.0 / 2.1 A and AA rules. A serious or critical violation fails the
test; moderate and minor ones are printed (``pytest -s`` shows them).

The portal's Content-Security-Policy allows no script at all, which would block the
injected axe script too: the audit's browser context bypasses CSP (the pages
themselves are unchanged; another test checks the header).

A second test completes and submits the form with the keyboard alone, checking at
every stop that the focus can be seen.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone

from surveys.demo.load import questionnaire_2008_create
from surveys.models import Choice, Question, Questionnaire, Response, Section
from tests.surveys.test_portal import make_recipient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}

# The browser's own language (Accept-Language) for the pages that have no reply to
# take a language from: the invalid-link and "session ended" pages.
BROWSER_LOCALES = {"ar": "ar", "zh-hans": "zh-CN", "en": "en-GB", "fr": "fr-FR",
                   "ru": "ru-RU", "es": "es-ES"}
# (replying State, declining State) per language, each with contacts in that language.
STATES = {"ar": ("EGY", "JOR"), "zh-hans": ("CHN", "SGP"), "en": ("GBR", "IND"),
          "fr": ("SEN", "BEL"), "ru": ("RUS", "BLR"), "es": ("MEX", "CHL")}
LANGUAGES = list(STATES)

# The demo questionnaire has free-text questions only: a section with every other
# kind of field is added, so that radios, check boxes, numbers, dates and files are
# audited too (and a required choice question shows its error on a fieldset).
DETAILS = {"en": "Further details", "fr": "Précisions", "es": "Otros detalles",
           "ru": "Дополнительные сведения", "zh-hans": "其他细节", "ar": "تفاصيل إضافية"}
EXTRA_QUESTIONS = [
    ("focal_point", Question.Type.YES_NO, True, {
        "en": "Has your Government designated a focal point for the Global Forum?",
        "fr": "Votre gouvernement a-t-il désigné un point focal pour le Forum mondial ?",
        "es": "¿Ha designado su Gobierno un coordinador para el Foro Mundial?",
        "ru": "Назначило ли ваше правительство координатора для Глобального форума?",
        "zh-hans": "贵国政府是否已为全球论坛指定联络人？",
        "ar": "هل عينت حكومتكم جهة تنسيق للمنتدى العالمي؟"}, {}, []),
    ("frequency", Question.Type.SINGLE, False, {
        "en": "How often should a high-level dialogue be held?",
        "fr": "À quelle fréquence un dialogue de haut niveau devrait-il se tenir ?",
        "es": "¿Con qué frecuencia debería celebrarse un diálogo de alto nivel?",
        "ru": "Как часто следует проводить диалог на высоком уровне?",
        "zh-hans": "应多久举行一次高级别对话？",
        "ar": "كم مرة ينبغي عقد حوار رفيع المستوى؟"}, {}, [
        ("every_3", {"en": "Every three years", "fr": "Tous les trois ans",
                     "es": "Cada tres años", "ru": "Раз в три года", "zh-hans": "每三年一次",
                     "ar": "كل ثلاث سنوات"}),
        ("every_5", {"en": "Every five years", "fr": "Tous les cinq ans",
                     "es": "Cada cinco años", "ru": "Раз в пять лет", "zh-hans": "每五年一次",
                     "ar": "كل خمس سنوات"})]),
    ("meetings", Question.Type.MULTIPLE, False, {
        "en": "In which meetings did your Government take part?",
        "fr": "À quelles réunions votre gouvernement a-t-il participé ?",
        "es": "¿En qué reuniones participó su Gobierno?",
        "ru": "В каких совещаниях участвовало ваше правительство?",
        "zh-hans": "贵国政府参加了哪些会议？",
        "ar": "في أي اجتماعات شاركت حكومتكم؟"}, {}, [
        ("gfmd_2007", {"en": "Global Forum, Brussels, 2007",
                       "fr": "Forum mondial, Bruxelles, 2007", "es": "Foro Mundial, Bruselas, 2007",
                       "ru": "Глобальный форум, Брюссель, 2007 год",
                       "zh-hans": "全球论坛，布鲁塞尔，2007年",
                       "ar": "المنتدى العالمي، بروكسل، 2007"}),
        ("rcp", {"en": "Regional consultative processes",
                 "fr": "Processus consultatifs régionaux", "es": "Procesos consultivos regionales",
                 "ru": "Региональные консультативные процессы", "zh-hans": "区域协商进程",
                 "ar": "العمليات التشاورية الإقليمية"})]),
    ("officials", Question.Type.NUMBER, False, {
        "en": "Number of officials working on migration and development",
        "fr": "Nombre de fonctionnaires chargés des migrations et du développement",
        "es": "Número de funcionarios que trabajan en migración y desarrollo",
        "ru": "Число должностных лиц, занимающихся вопросами миграции и развития",
        "zh-hans": "从事移徙与发展工作的官员人数",
        "ar": "عدد الموظفين العاملين في مجال الهجرة والتنمية"}, {}, []),
    ("policy_date", Question.Type.DATE, False, {
        "en": "Date of the national policy on migration, if any",
        "fr": "Date de la politique nationale en matière de migrations, le cas échéant",
        "es": "Fecha de la política nacional de migración, si la hay",
        "ru": "Дата принятия национальной политики в области миграции, если она имеется",
        "zh-hans": "国家移徙政策的日期（如有）",
        "ar": "تاريخ السياسة الوطنية للهجرة، إن وجدت"}, {
        "en": "Leave empty if there is none.", "fr": "Laisser vide s'il n'y en a pas.",
        "es": "Déjelo en blanco si no la hay.", "ru": "Оставьте поле пустым, если её нет.",
        "zh-hans": "如无，请留空。", "ar": "اتركه فارغا إن لم توجد."}, []),
    ("national_report", Question.Type.FILE, False, {
        "en": "National report, if any", "fr": "Rapport national, le cas échéant",
        "es": "Informe nacional, si lo hay", "ru": "Национальный доклад, если он имеется",
        "zh-hans": "国家报告（如有）", "ar": "التقرير الوطني، إن وجد"}, {}, []),
]
ANSWERS = {"forum_useful": "The Forum is a useful outcome of the Dialogue.",
           "forum_sole_followup": "It should not be the sole follow-up.",
           "ga_followup": "Keep the item on the agenda of the General Assembly."}


@pytest.fixture(autouse=True)
def _clear_throttle():
    cache.clear()  # the invalid-link page counts bad links per address


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make node_modules` (npm ci).")
    return AXE


def make_six_language_questionnaire() -> Questionnaire:
    """The 2008 questionnaire, open until well after today, plus a section with every
    other kind of field, all in the six languages."""
    questionnaire = questionnaire_2008_create()
    today = timezone.localdate()
    Questionnaire.objects.filter(pk=questionnaire.pk).update(
        deadline=today + datetime.timedelta(days=30), cutoff=today + datetime.timedelta(days=60))
    section = Section.objects.create(questionnaire=questionnaire, order=99, code="details",
                                     title=DETAILS)
    for order, (code, kind, required, text, help_text, choices) in enumerate(
            EXTRA_QUESTIONS, start=100):
        question = Question.objects.create(
            questionnaire=questionnaire, section=section, order=order, code=code, type=kind,
            required=required, text=text, help_text=help_text)
        for choice_order, (value, label) in enumerate(choices, start=1):
            Choice.objects.create(question=question, order=choice_order, value=value,
                                  label=label)
    questionnaire.refresh_from_db()
    return questionnaire


def audit_context(browser, language):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True,
                                  locale=BROWSER_LOCALES[language])
    context.set_default_timeout(15_000)
    return context


def axe_audit(page, axe_path) -> tuple[list[dict], int]:
    """The WCAG 2.x A/AA violations axe-core finds in the page as it stands, and the
    number of rules that applied and passed (an audit of nothing would pass too)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_path))
    return page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return [r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
                        count: v.nodes.length})),
                    r.passes.length];
        }""", WCAG_TAGS)


class Auditor:
    """Runs axe on each page state of one language and keeps the findings."""

    def __init__(self, language, axe_path):
        self.language, self.axe_path = language, axe_path
        self.findings: dict[str, list[dict]] = {}

    def __call__(self, page, name):
        # Every page must really be in the language under test (and its direction).
        assert page.evaluate("document.documentElement.lang") == self.language, name
        direction = "rtl" if self.language == "ar" else "ltr"
        assert page.evaluate("document.documentElement.dir") == direction, name
        violations, passed = axe_audit(page, self.axe_path)
        assert passed >= 5, f"{name}: axe checked almost nothing ({passed} rules passed)"
        self.findings[name] = violations

    def report(self) -> tuple[Counter, list[str]]:
        counts, blocking = Counter(), []
        for name, violations in self.findings.items():
            for violation in violations:
                counts[violation["impact"]] += violation["count"]
                line = (f"[{self.language}] {name}: {violation['impact']} {violation['id']} "
                        f"({violation['help']}) at {', '.join(violation['nodes'])}")
                print(line)
                if violation["impact"] in BLOCKING:
                    blocking.append(line)
        summary = {impact: counts.get(impact, 0)
                   for impact in ("critical", "serious", "moderate", "minor")}
        print(f"axe [{self.language}] {len(self.findings)} page states, "
              f"violations by impact: {json.dumps(summary)}")
        return counts, blocking


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_serious_or_critical_axe_violation_on_any_portal_page(
        browser, live_server, registry, axe_source, language):
    questionnaire = make_six_language_questionnaire()
    replying, declining = STATES[language]
    _recipient, token = make_recipient(questionnaire, registry[replying], language=language)
    _other, other_token = make_recipient(questionnaire, registry[declining], language=language)
    audit = Auditor(language, axe_source)

    context = audit_context(browser, language)
    other_context = audit_context(browser, language)  # another State's official
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/r/{token}/")
        assert page.url == f"{live_server.url}/reply/"
        audit(page, "reply form (empty)")

        page.locator("button[value=submit]").click()
        assert page.locator("#error-summary").is_visible()
        audit(page, "reply form with errors")

        for code, text in ANSWERS.items():
            page.fill(f"#id_{code}", text)
        page.check("#id_focal_point_0")
        page.check("#id_meetings_1")
        page.locator("button[value=draft]").click()
        assert page.get_by_role("status").first.is_visible()
        audit(page, "draft saved")

        page.locator("button[value=submit]").click()
        assert page.url == f"{live_server.url}/reply/received/"
        audit(page, "confirmation (received)")

        page.goto(f"{live_server.url}/reply/")
        assert page.locator("table.versions").is_visible()
        audit(page, "amended form")

        other = other_context.new_page()
        other.goto(f"{live_server.url}/r/{other_token}/")
        other.locator("details.decline summary").click()
        assert other.locator("#id_decline-reason").is_visible()
        audit(other, "decline form (open)")
        other.locator("details.decline button[type=submit]").click()
        assert other.url == f"{live_server.url}/reply/declined/"
        audit(other, "declined confirmation")
        other.goto(f"{live_server.url}/reply/")
        audit(other, "reply form after declining")

        # The cut-off passes: both pages become read-only (until the links expire,
        # REPLY_LINK_GRACE_DAYS later: docs/security.md).
        cutoff = timezone.localdate() - datetime.timedelta(days=10)
        Questionnaire.objects.filter(pk=questionnaire.pk).update(
            deadline=cutoff - datetime.timedelta(days=30), cutoff=cutoff)
        page.goto(f"{live_server.url}/reply/")
        assert page.get_by_test_id("closed-message").is_visible()
        audit(page, "read-only after the cut-off (submitted)")
        other.goto(f"{live_server.url}/reply/")
        assert other.get_by_test_id("closed-message").is_visible()
        audit(other, "read-only after the cut-off (declined)")
    finally:
        context.close()
        other_context.close()

    stranger = audit_context(browser, language)
    try:
        page = stranger.new_page()
        response = page.goto(f"{live_server.url}/r/not-a-valid-token/")
        assert response.status == 404
        audit(page, "invalid link")
        response = page.goto(f"{live_server.url}/reply/")
        assert response.status == 403
        audit(page, "session ended")
    finally:
        stranger.close()

    _counts, blocking = audit.report()
    assert not blocking, "serious or critical accessibility violations:\n" + "\n".join(blocking)


def _focus(page) -> dict:
    """The focused element, and whether the page's own focus style shows on it.

    Chromium's date field has a last tab stop inside its shadow tree, the calendar
    button: the field itself does not match ``:focus`` then, and the browser draws
    that button's own focus ring, which no computed style of the page reports.
    """
    return page.evaluate("""() => {
        const e = document.activeElement, s = getComputedStyle(e);
        const own = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
                    || s.boxShadow !== 'none';
        const pickerButton = e.type === 'date' && !e.matches(':focus');
        return {tag: e.tagName.toLowerCase(), type: e.type || '', id: e.id,
                name: e.name || '', value: e.value || '', cls: e.className || '',
                visible: own || pickerButton};
    }""")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_an_official_completes_and_submits_the_form_with_the_keyboard_alone(
        browser, live_server, registry, language):
    """Tab from field to field, type the answers, Space on radios and check boxes,
    Enter on Submit; every stop shows where the focus is."""
    questionnaire = make_six_language_questionnaire()
    recipient, token = make_recipient(questionnaire, registry[STATES[language][0]],
                                      language=language)
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  locale=BROWSER_LOCALES[language])
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/r/{token}/")
        keyboard = page.keyboard

        # The first Tab reaches the skip link, and Enter on it moves into the main content.
        keyboard.press("Tab")
        assert _focus(page)["cls"] == "skip-link"
        keyboard.press("Enter")
        assert _focus(page)["id"] == "main"

        done, stops = set(), []
        for _step in range(80):
            keyboard.press("Tab")
            focus = _focus(page)
            stops.append(focus["id"] or focus["name"] or focus["tag"])
            assert focus["visible"], f"no visible focus on {focus}"
            name = focus["name"]
            if focus["tag"] == "textarea" and name in ANSWERS:
                keyboard.type(ANSWERS[name])
                done.add(name)
            elif focus["type"] == "radio" and name == "focal_point":
                # Tab enters a radio group once; the arrows move within it. Space chooses.
                keyboard.press("Space")
                done.add(name)
            elif focus["type"] == "checkbox" and name == "meetings" and name not in done:
                keyboard.press("Space")
                done.add(name)
            elif name == "officials":
                keyboard.type("12")
                done.add(name)
            elif focus["tag"] == "button" and focus["value"] == "submit":
                assert done == {*ANSWERS, "focal_point", "meetings", "officials"}, stops
                keyboard.press("Enter")
                break
        else:
            pytest.fail(f"Submit was never reached with Tab: {stops}")

        page.wait_for_url(f"{live_server.url}/reply/received/")
        assert page.get_by_test_id("confirmation").is_visible()
        # The confirmation's link back to the form is reachable with the keyboard too.
        for _step in range(30):
            keyboard.press("Tab")
            if _focus(page)["cls"] == "button button-secondary":
                break
        else:
            pytest.fail("the link back to the reply was never reached with Tab")
    finally:
        context.close()

    response = Response.objects.get(recipient=recipient)
    assert response.status == Response.Status.SUBMITTED and response.version == 1
    answers = {a.question.code: a for a in response.answers.select_related("question")}
    assert {code: answers[code].text for code in ANSWERS} == ANSWERS
    assert answers["focal_point"].value == ["yes"]
    assert answers["meetings"].value == ["gfmd_2007"]
    assert str(answers["officials"].value) in {"12", "12.0"}

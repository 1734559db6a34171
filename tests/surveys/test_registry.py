"""The registry of States: the facts a secretariat officer relies on, and its loading.

The registry is loaded once per test database (``conftest.django_db_setup``); every
test runs in a transaction that is rolled back, so the tests that change or reload
the registry do not leak into the others.
"""

import copy
import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from surveys.models import Contact, State
from surveys.services.registry import REGISTRY_FIXTURE, registry_load

LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
NAME_FIELDS = [f"{prefix}_{lang}" for prefix in ("name", "formal_name") for lang in LANGUAGES]


@pytest.fixture(scope="module")
def fixture_data():
    return json.loads(REGISTRY_FIXTURE.read_text(encoding="utf-8"))


def _states_of(fixture_data):
    return {entry["iso3"]: entry for entry in fixture_data["states"]}


# --- Membership -----------------------------------------------------------------------


def test_exactly_195_states(db):
    assert State.objects.count() == 195


def test_193_members_and_2_observers(db):
    assert State.objects.members().count() == 193
    assert State.objects.observers().count() == 2
    assert State.objects.filter(status=State.Status.MEMBER).count() == 193


def test_holy_see_and_state_of_palestine_are_the_observers(registry):
    observers = set(State.objects.observers().values_list("iso3", flat=True))
    assert observers == {"VAT", "PSE"}
    assert registry["VAT"].status == State.Status.OBSERVER
    assert registry["PSE"].status == State.Status.OBSERVER
    # Observers were never admitted as Members.
    assert registry["VAT"].admitted_year is None
    assert registry["PSE"].admitted_year is None


def test_every_member_has_an_admission_year(db):
    assert not State.objects.members().filter(admitted_year__isnull=True).exists()


def test_south_sudan_admitted_2011_the_newest_member(registry):
    assert registry["SSD"].admitted_year == 2011
    newest = State.objects.members().order_by("-admitted_year").first()
    assert newest.iso3 == "SSD"


# --- Geography and groups -------------------------------------------------------------


def test_tuvalu_in_polynesia_oceania(registry):
    tuvalu = registry["TUV"]
    assert tuvalu.subregion == "Polynesia"
    assert tuvalu.region == "Oceania"


def test_bhutan_is_lldc_but_not_ldc(registry):
    bhutan = registry["BTN"]
    assert bhutan.is_lldc is True
    # Bhutan graduated from the LDC category in December 2023; the reference
    # snapshot the fixture is built from already reflects the graduation.
    assert bhutan.is_ldc is False
    assert bhutan.groups == ["LLDC"]


@pytest.mark.parametrize("iso3", ["NPL", "AFG"])
def test_nepal_and_afghanistan_are_ldc_and_lldc(registry, iso3):
    state = registry[iso3]
    assert state.is_ldc is True
    assert state.is_lldc is True
    assert state.is_sids is False
    assert state.groups == ["LDC", "LLDC"]


@pytest.mark.parametrize("flag", ["is_ldc", "is_lldc", "is_sids", "is_developed"])
def test_group_counts_match_the_fixture(db, fixture_data, flag):
    expected = sum(1 for entry in fixture_data["states"] if entry[flag])
    assert expected > 0
    assert State.objects.filter(**{flag: True}).count() == expected


@pytest.mark.parametrize("status", ["member", "observer"])
def test_status_counts_match_the_fixture(db, fixture_data, status):
    expected = sum(1 for entry in fixture_data["states"] if entry["status"] == status)
    assert State.objects.filter(status=status).count() == expected


def test_db_matches_fixture_field_by_field(registry, fixture_data):
    states = _states_of(fixture_data)
    assert set(registry) == set(states)
    for iso3, entry in states.items():
        state = registry[iso3]
        for field, value in entry.items():
            assert getattr(state, field) == value, (iso3, field)


# --- Codes ------------------------------------------------------------------------------


def test_namibia_iso2_is_the_string_na(registry, fixture_data):
    namibia = registry["NAM"]
    assert namibia.iso2 == "NA"
    assert isinstance(namibia.iso2, str)
    assert State.objects.get(iso2="NA").iso3 == "NAM"
    # The fixture itself carries the string, not null (a CSV reader's "NA" trap).
    assert _states_of(fixture_data)["NAM"]["iso2"] == "NA"


def test_codes_are_well_formed_and_unique(db):
    states = list(State.objects.all())
    for state in states:
        assert re.fullmatch(r"[A-Z]{2}", state.iso2), state.iso3
        assert re.fullmatch(r"[A-Z]{3}", state.iso3), state.iso3
        assert 1 <= state.m49 <= 999, state.iso3
    for field in ("iso2", "iso3", "m49"):
        assert len({getattr(s, field) for s in states}) == 195, field


def test_afghanistan_m49_is_4(registry):
    assert registry["AFG"].m49 == 4


# --- Names ------------------------------------------------------------------------------


def test_every_state_has_all_names_in_six_languages(db):
    for state in State.objects.all():
        for field in NAME_FIELDS:
            value = getattr(state, field)
            assert value, (state.iso3, field)
            assert value == value.strip(), (state.iso3, field)


@pytest.mark.parametrize("iso3", ["CIV", "TUR"])
def test_cote_divoire_and_turkiye_named_in_six_languages(registry, iso3):
    # The reference data has a gap for these two; the fixture fills it.
    state = registry[iso3]
    for field in NAME_FIELDS:
        assert getattr(state, field), field


def test_cote_divoire_and_turkiye_names(registry):
    civ, tur = registry["CIV"], registry["TUR"]
    assert civ.name_en == "Côte d'Ivoire"
    assert civ.name_fr == "Côte d'Ivoire"
    assert civ.name_ru == "Кот-д'Ивуар"
    assert civ.name_zh == "科特迪瓦"
    assert civ.name_ar == "كوت ديفوار"
    assert tur.name_en == "Türkiye"
    assert tur.name_ru == "Турция"
    assert tur.name_zh == "土耳其"
    assert tur.name_ar == "تركيا"


def test_names_cleaned_of_unterm_articles_and_markers(registry):
    assert registry["BHS"].name_en == "Bahamas"
    assert registry["GMB"].name_en == "Gambia"
    assert registry["VAT"].name_en == "Holy See"
    assert registry["VAT"].name_fr == "Saint-Siège"
    assert registry["PSE"].name_en == "State of Palestine"
    assert registry["COD"].name_fr == "République démocratique du Congo"


def test_no_name_keeps_an_article_in_parentheses_or_a_marker(db):
    article = re.compile(r"\((?:the|l'|l’|le|la|les|el|los|las)\)", re.IGNORECASE)
    for state in State.objects.all():
        for field in NAME_FIELDS:
            value = getattr(state, field)
            assert "*" not in value, (state.iso3, field, value)
            assert not article.search(value), (state.iso3, field, value)


def test_qualified_un_short_names_are_kept(registry):
    # Parentheses that are part of the UN short name are not articles.
    assert registry["BOL"].name_en == "Bolivia (Plurinational State of)"
    assert registry["IRN"].name_en == "Iran (Islamic Republic of)"


def test_name_in_a_given_language(registry):
    france = registry["FRA"]
    assert france.name("fr") == "France"
    assert france.name("zh-hans") == "法国"
    assert france.name("ru") == "Франция"
    assert france.name("ar") == "فرنسا"
    assert france.name("es") == "Francia"
    assert france.name("en") == "France"
    germany = registry["DEU"]
    assert germany.name("fr") == "Allemagne"
    assert germany.name("zh-hans") == "德国"
    assert germany.formal_name("fr") == "la République fédérale d'Allemagne"
    assert germany.formal_name("zh-hans") == "德意志联邦共和国"


def test_name_follows_the_active_language(registry):
    germany = registry["DEU"]
    with translation.override("es"):
        assert germany.name() == "Alemania"
    with translation.override("zh-hans"):
        assert germany.name() == "德国"


def test_name_falls_back_to_english(registry):
    assert registry["DEU"].name("de") == "Germany"
    assert registry["DEU"].formal_name("de") == "the Federal Republic of Germany"


# --- Loading ----------------------------------------------------------------------------


def test_load_registry_command_is_idempotent(db):
    first, second = StringIO(), StringIO()
    call_command("load_registry", stdout=first)
    call_command("load_registry", stdout=second)
    assert "0 created" in second.getvalue()
    assert "0 updated" in second.getvalue()
    assert "195 unchanged" in second.getvalue()
    assert State.objects.count() == 195


def test_registry_load_twice_changes_nothing(db):
    registry_load()
    result = registry_load()
    assert (result.created, result.updated, result.unchanged) == (0, 0, 195)
    assert result.deleted == []
    assert result.kept == []


def test_reload_restores_a_name_changed_in_the_db(db):
    State.objects.filter(iso3="FRA").update(name_en="Frankreich", name_fr="Frankreich")
    result = registry_load()
    assert result.updated == 1
    assert result.unchanged == 194
    france = State.objects.get(iso3="FRA")
    assert france.name_en == "France"
    assert france.name_fr == "France"


def test_reload_creates_a_deleted_state(db):
    State.objects.filter(iso3="NRU").delete()
    assert State.objects.count() == 194
    result = registry_load()
    assert result.created == 1
    assert State.objects.get(iso3="NRU").name_en == "Nauru"


def _fixture_without(fixture_data, tmp_path, *iso3s):
    data = copy.deepcopy(fixture_data)
    data["states"] = [entry for entry in data["states"] if entry["iso3"] not in iso3s]
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_state_with_a_contact_is_kept_when_gone_from_the_fixture(registry, fixture_data,
                                                                  tmp_path):
    Contact.objects.create(state=registry["TUV"], role=Contact.Role.FOCAL_POINT,
                           name="Focal point for Tuvalu")
    result = registry_load(path=_fixture_without(fixture_data, tmp_path, "TUV"))
    assert result.kept == ["TUV"]
    assert result.deleted == []
    assert State.objects.filter(iso3="TUV").exists()
    assert Contact.objects.filter(state__iso3="TUV").count() == 1
    assert State.objects.count() == 195


def test_state_with_nothing_attached_is_deleted_when_gone_from_the_fixture(
        db, fixture_data, tmp_path):
    result = registry_load(path=_fixture_without(fixture_data, tmp_path, "NRU"))
    assert result.deleted == ["NRU"]
    assert result.kept == []
    assert not State.objects.filter(iso3="NRU").exists()
    assert State.objects.count() == 194


def test_kept_and_deleted_in_the_same_load(registry, fixture_data, tmp_path):
    Contact.objects.create(state=registry["TUV"], role=Contact.Role.FOCAL_POINT,
                           name="Focal point for Tuvalu")
    result = registry_load(path=_fixture_without(fixture_data, tmp_path, "TUV", "NRU"))
    assert result.kept == ["TUV"]
    assert result.deleted == ["NRU"]
    assert "kept because data is attached: TUV" in str(result)
    assert set(State.objects.filter(iso3__in=["TUV", "NRU"]).values_list("iso3", flat=True)) \
        == {"TUV"}
    assert State.objects.count() == 194

"""Build ``fixtures/registry.json`` from the reference data in ``../shared/data``.

Run it again when the reference data changes::

    python scripts/build_registry.py [--source ../shared/data]

The running application never reads ``../shared``: it loads the fixture this
script writes (``manage.py load_registry``). The output is sorted and stable, so
a diff of the fixture shows exactly what changed in the reference data.
"""

import argparse
import csv
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGS = {"ar": "Arabic", "zh": "Chinese", "en": "English", "fr": "French", "ru": "Russian",
         "es": "Spanish"}
OFFICIAL_COLUMN = {"ar": "official_name_ar", "zh": "official_name_cn", "en": "official_name_en",
                   "fr": "official_name_fr", "ru": "official_name_ru", "es": "official_name_es"}

# The snapshot has empty UNTERM columns for these two Member States; these are the
# UNTERM short and formal names (public facts), so that every State is named alike.
UNTERM_GAPS = {
    "CIV": {
        "short": {"ar": "كوت ديفوار", "zh": "科特迪瓦", "en": "Côte d'Ivoire",
                  "fr": "Côte d'Ivoire (la)", "ru": "Кот-д'Ивуар", "es": "Côte d'Ivoire"},
        "formal": {"ar": "جمهورية كوت ديفوار", "zh": "科特迪瓦共和国",
                   "en": "the Republic of Côte d'Ivoire", "fr": "la République de Côte d'Ivoire",
                   "ru": "Республика Кот-д'Ивуар", "es": "la República de Côte d'Ivoire"},
    },
    "TUR": {
        "short": {"ar": "تركيا", "zh": "土耳其", "en": "Türkiye", "fr": "Türkiye (la)",
                  "ru": "Турция", "es": "Türkiye"},
        "formal": {"ar": "الجمهورية التركية", "zh": "土耳其共和国",
                   "en": "the Republic of Türkiye", "fr": "la République de Türkiye",
                   "ru": "Турецкая Республика", "es": "la República de Türkiye"},
    },
}

# M49's long-standing convention for "developed regions": Europe, Northern America,
# Australia and New Zealand, and Japan. Everything else is "developing".
DEVELOPED_SUBREGIONS = {"Northern Europe", "Western Europe", "Southern Europe", "Eastern Europe",
                        "Northern America", "Australia and New Zealand"}
DEVELOPED_EXTRA = {"JPN"}


def clean_short(name: str) -> str:
    """'Bahamas (the)' -> 'Bahamas'; 'Holy See (the) *' -> 'Holy See'."""
    name = name.replace("*", "").strip()
    if name.endswith(")") and "(" in name:
        head, _, tail = name.rpartition("(")
        if len(tail) <= 5:  # an article: (the) (l') (la) (le) (les) (el) (los) (las)
            name = head.strip()
    return name


def clean_formal(name: str) -> str:
    return name.replace("*", "").strip()


def build(source: Path) -> dict:
    with open(source / "country-codes.csv", encoding="utf-8", newline="") as f:
        # Every column is text: "NA" is Namibia's code, not a missing value.
        rows = {r["ISO3166-1-Alpha-3"]: r for r in csv.DictReader(f)}
    with open(source / "un-membership.csv", encoding="utf-8", newline="") as f:
        membership = {r["iso3"]: r for r in csv.DictReader(f)}

    states, others = [], []
    for iso3, row in sorted(rows.items()):
        if not iso3:
            continue
        gaps = UNTERM_GAPS.get(iso3, {})
        names, formal, alternates = {}, {}, set()
        for code, lang in LANGS.items():
            short = row[f"UNTERM {lang} Short"] or gaps.get("short", {}).get(code, "")
            long_ = row[f"UNTERM {lang} Formal"] or gaps.get("formal", {}).get(code, "")
            official = row[OFFICIAL_COLUMN[code]]
            names[code] = clean_short(short) or official
            formal[code] = clean_formal(long_) or names[code]
            for variant in (short, long_, official):
                if variant:
                    alternates.add(variant)
        for extra in (row["CLDR display name"], row["ISO4217-currency_country_name"]):
            if extra:
                alternates.add(extra)
        alternates -= set(names.values()) | set(formal.values())
        entry = {
            "iso2": row["ISO3166-1-Alpha-2"],
            "iso3": iso3,
            "m49": int(row["M49"]),
            **{f"name_{c}": names[c] for c in LANGS},
            **{f"formal_name_{c}": formal[c] for c in LANGS},
            "other_names": sorted(alternates),
        }
        if iso3 in membership:
            m = membership[iso3]
            entry.update({
                "region": row["Region Name"],
                "subregion": row["Sub-region Name"],
                "intermediate_region": row["Intermediate Region Name"],
                "is_ldc": bool(row["Least Developed Countries (LDC)"].strip()),
                "is_lldc": bool(row["Land Locked Developing Countries (LLDC)"].strip()),
                "is_sids": bool(row["Small Island Developing States (SIDS)"].strip()),
                "is_developed": (row["Sub-region Name"] in DEVELOPED_SUBREGIONS
                                 or iso3 in DEVELOPED_EXTRA),
                "status": m["status"],
                "admitted_year": int(m["admitted_year"]) if m["admitted_year"] else None,
            })
            states.append(entry)
        else:
            others.append({k: entry[k] for k in ("iso2", "iso3", "m49", "name_en", "other_names")}
                          | {f"name_{c}": names[c] for c in LANGS})
    missing = set(membership) - {s["iso3"] for s in states}
    if missing:
        raise SystemExit(f"States in un-membership.csv without codes: {sorted(missing)}")
    return {
        "source": "datasets/country-codes (ODC-PDDL 1.0) and the UN membership list",
        "states": states,
        "non_members": others,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--output", type=Path, default=ROOT / "fixtures" / "registry.json")
    args = parser.parse_args()
    data = build(args.source)
    args.output.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(data['states'])} States and {len(data['non_members'])} other areas "
          f"written to {args.output}")


if __name__ == "__main__":
    main()

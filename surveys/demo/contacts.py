"""Illustrative contacts for the demo: a mission, a Permanent Representative and a
Global Forum focal point for each of the 195 States.

Names, e-mail addresses and numbers are invented (example.org, 555 numbers) and say
so in their notes; the preferred language is the UN language a State usually
corresponds in.
"""

from surveys.models import Contact, State

FRENCH = {"BEL", "BEN", "BFA", "BDI", "CMR", "CAF", "TCD", "COM", "COG", "COD", "CIV", "DJI",
          "FRA", "GAB", "GIN", "HTI", "LUX", "MDG", "MLI", "MCO", "NER", "RWA", "SEN", "TGO",
          "CHE", "DZA", "TUN", "MAR", "LBN", "VUT"}
SPANISH = {"ARG", "BOL", "CHL", "COL", "CRI", "CUB", "DOM", "ECU", "SLV", "GNQ", "GTM", "HND",
           "MEX", "NIC", "PAN", "PRY", "PER", "ESP", "URY", "VEN"}
ARABIC = {"BHR", "EGY", "IRQ", "JOR", "KWT", "LBY", "MRT", "OMN", "QAT", "SAU", "SOM", "SDN",
          "SYR", "ARE", "YEM", "PSE"}
RUSSIAN = {"RUS", "BLR", "KAZ", "KGZ", "TJK", "TKM", "UZB", "ARM", "AZE"}
CHINESE = {"CHN"}
FORUM = "Global Forum on Migration and Development"
ILLUSTRATIVE = "Illustrative demo data."


def language_of(iso3: str) -> str:
    for code, members in (("fr", FRENCH), ("es", SPANISH), ("ar", ARABIC), ("ru", RUSSIAN),
                          ("zh-hans", CHINESE)):
        if iso3 in members:
            return code
    return "en"


def demo_contacts() -> list[Contact]:
    """Unsaved contacts for every State (three each)."""
    contacts = []
    for index, state in enumerate(State.objects.order_by("name_en")):
        slug = state.iso3.lower()
        language = language_of(state.iso3)
        phone = f"+1 212 555 {1000 + index:04d}"
        fax = f"+1 212 555 {5000 + index:04d}"
        mission = f"Permanent Mission of {state.name_en} to the United Nations"
        if state.status == State.Status.OBSERVER:
            mission = f"Permanent Observer Mission of {state.name_en} to the United Nations"
        contacts += [
            Contact(state=state, role=Contact.Role.MISSION, name=mission,
                    address=f"{100 + index} East {40 + index % 30}th Street\nNew York, NY 10017",
                    email=f"mission.{slug}@missions.example.org", fax=fax, phone=phone,
                    language=language, notes=ILLUSTRATIVE),
            Contact(state=state, role=Contact.Role.PERMANENT_REPRESENTATIVE,
                    name=f"Permanent Representative of {state.name_en}", honorific="H.E.",
                    email=f"pr.{slug}@missions.example.org", fax=fax, phone=phone,
                    language=language, notes=ILLUSTRATIVE),
            Contact(state=state, role=Contact.Role.FOCAL_POINT, process=FORUM,
                    name=f"GFMD focal point of {state.name_en}",
                    organization="Ministry of Foreign Affairs",
                    email=f"gfmd.{slug}@capital.example.org",
                    fax=f"+99 555 {3000 + index:04d}",
                    phone=f"+99 555 {2000 + index:04d}", language=language, notes=ILLUSTRATIVE),
        ]
    return contacts

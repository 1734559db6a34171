"""The 64 demo replies of 2008: who replied, when, through which channel, saying what.

Dates and counts follow A/63/269: 64 Member States had replied by the cut-off of
15 July 2008, fewer by 30 June (the date of the report's map). The views each State
holds are chosen so that the report's paragraph 22 comes out of the coding: virtually
all find the Forum useful (61), only three expressed no opinion or did not see it as
a formal outcome, one in every six (11 of 64) want it to be the sole follow-up.
Which States replied and every answer text are ILLUSTRATIVE: generated from a fixed
seed, written in English, French or Spanish from the phrases below.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

SEED = 2008

# The codebook of paragraphs 22-24, by key (analysis.demo builds the codebook from it).
VIEWS = {
    "useful": "The Forum is a useful outcome",
    "no_opinion": "No opinion, or not a formal outcome",
    "sole_followup": "The Forum should be the sole follow-up",
    "strengthen_link": "Strengthen the link between the Forum and the United Nations",
    "more_time": "The Forum needs more time first",
    "ga_agenda": "Keep the item on the General Assembly's agenda",
    "periodic_hld": "Periodic high-level dialogue",
    "regional_thematic": "Regional or thematic meetings",
    "special_consideration": "Special consideration of the Forum's ideas",
    "existing_structures": "Implementation through existing multilateral structures",
}
# How many of the 64 hold each view (besides useful / no_opinion, fixed by the report).
VIEW_COUNTS = {"sole_followup": 11, "strengthen_link": 18, "more_time": 12, "ga_agenda": 34,
               "periodic_hld": 23, "regional_thematic": 21, "special_consideration": 8,
               "existing_structures": 9}
# Views that contradict wanting the Forum as the sole follow-up.
NOT_WITH_SOLE = {"ga_agenda", "periodic_hld"}

# (count, first day, last day): 30 by the deadline, 24 more by 30 June, 10 more by the
# cut-off, and 2 after it (received, but not counted in the report).
ARRIVALS = [
    (30, datetime.date(2008, 3, 25), datetime.date(2008, 4, 30)),
    (24, datetime.date(2008, 5, 1), datetime.date(2008, 6, 30)),
    (10, datetime.date(2008, 7, 1), datetime.date(2008, 7, 15)),
    (2, datetime.date(2008, 7, 22), datetime.date(2008, 9, 10)),
]
CHANNEL_WEIGHTS = [("portal", 30), ("email", 16), ("fax", 12), ("letter", 8)]
DECLINING = 3  # States that told the Secretariat by phone they would not reply


@dataclass
class DemoReply:
    iso3: str
    received_on: datetime.date
    channel: str
    language: str
    views: set[str]
    answers: dict[str, str] = field(default_factory=dict)
    amended: bool = False  # a second version submitted through the portal


PHRASES = {
    "useful": {
        "en": ["The Government considers the Global Forum a useful outcome of the High-level "
               "Dialogue: it offers an informal, voluntary and State-led space for dialogue.",
               "Yes. The Global Forum has proved a valuable platform for exchanging practices "
               "between countries of origin, transit and destination.",
               "The Forum is a useful result of the Dialogue and has built trust among "
               "Governments on migration and development."],
        "fr": ["Le Gouvernement considère le Forum mondial comme un résultat utile du Dialogue "
               "de haut niveau : il offre un espace de dialogue informel et volontaire.",
               "Oui. Le Forum mondial s'est révélé une plateforme précieuse d'échange de "
               "pratiques entre pays d'origine, de transit et de destination."],
        "es": ["El Gobierno considera que el Foro Mundial es un resultado útil del Diálogo de "
               "alto nivel, pues ofrece un espacio de diálogo informal y voluntario.",
               "Sí. El Foro Mundial ha demostrado ser una plataforma valiosa para intercambiar "
               "prácticas entre países de origen, tránsito y destino."],
    },
    "no_opinion": {
        "en": ["The Government has no opinion on this question at this stage.",
               "The Global Forum was established outside the United Nations and cannot be "
               "regarded as a formal outcome of the High-level Dialogue."],
        "fr": ["Le Gouvernement n'a pas d'opinion sur cette question à ce stade."],
        "es": ["El Gobierno no tiene una opinión sobre esta cuestión por el momento."],
    },
    "special_consideration": {
        "en": ["The ideas emerging from the Forum deserve special consideration by the United "
               "Nations."],
        "fr": ["Les idées issues du Forum méritent une attention particulière de "
               "l'Organisation des Nations Unies."],
        "es": ["Las ideas que surgen del Foro merecen una consideración especial de las "
               "Naciones Unidas."],
    },
    "more_time": {
        "en": ["The Forum should be given more time to mature before any decision on its "
               "future is taken."],
        "fr": ["Il faut laisser au Forum le temps de mûrir avant de décider de son avenir."],
        "es": ["Debe darse más tiempo al Foro antes de adoptar cualquier decisión sobre su "
               "futuro."],
    },
    "sole_followup": {
        "en": ["Yes. The Global Forum should be the sole follow-up to the High-level Dialogue; "
               "no new mechanism is needed."],
        "fr": ["Oui. Le Forum mondial devrait être la seule suite donnée au Dialogue ; aucun "
               "nouveau mécanisme n'est nécessaire."],
        "es": ["Sí. El Foro Mundial debería ser el único seguimiento del Diálogo; no se "
               "necesita ningún mecanismo nuevo."],
    },
    "not_sole": {
        "en": ["No. The Forum is one element of the follow-up; the United Nations should "
               "remain engaged.",
               "The Forum alone cannot be the follow-up to the Dialogue."],
        "fr": ["Non. Le Forum n'est qu'un élément du suivi ; l'ONU doit rester engagée."],
        "es": ["No. El Foro es solo un elemento del seguimiento; las Naciones Unidas deben "
               "seguir participando."],
    },
    "strengthen_link": {
        "en": ["The link between the Forum and the United Nations should be strengthened, "
               "including through the Special Representative of the Secretary-General and the "
               "Global Migration Group."],
        "fr": ["Le lien entre le Forum et l'Organisation des Nations Unies devrait être "
               "renforcé, notamment par l'intermédiaire du Représentant spécial du Secrétaire "
               "général."],
        "es": ["Debería fortalecerse el vínculo entre el Foro y las Naciones Unidas, en "
               "particular por conducto del Representante Especial del Secretario General."],
    },
    "existing_structures": {
        "en": ["Recommendations should be implemented through existing multilateral "
               "structures rather than new bodies."],
        "fr": ["Les recommandations devraient être mises en œuvre au moyen des structures "
               "multilatérales existantes plutôt que de nouveaux organes."],
        "es": ["Las recomendaciones deberían aplicarse mediante las estructuras multilaterales "
               "existentes y no mediante nuevos órganos."],
    },
    "relationship_adequate": {
        "en": ["The present informal relationship is adequate."],
        "fr": ["La relation informelle actuelle est satisfaisante."],
        "es": ["La relación informal actual es adecuada."],
    },
    "ga_agenda": {
        "en": ["The item on international migration and development should remain on the "
               "agenda of the General Assembly."],
        "fr": ["La question des migrations internationales et du développement devrait rester "
               "inscrite à l'ordre du jour de l'Assemblée générale."],
        "es": ["El tema de la migración internacional y el desarrollo debería seguir en el "
               "programa de la Asamblea General."],
    },
    "periodic_hld": {
        "en": ["A second High-level Dialogue should be convened, and such dialogues held "
               "periodically."],
        "fr": ["Un deuxième Dialogue de haut niveau devrait être convoqué, et de tels "
               "dialogues tenus périodiquement."],
        "es": ["Debería convocarse un segundo Diálogo de alto nivel y celebrarse tales "
               "diálogos periódicamente."],
    },
    "ga_minimal": {
        "en": ["The General Assembly should take note of the reports of the Forum."],
        "fr": ["L'Assemblée générale devrait prendre note des rapports du Forum."],
        "es": ["La Asamblea General debería tomar nota de los informes del Foro."],
    },
    "regional_thematic": {
        "en": ["Regional and thematic meetings, including those of the regional commissions, "
               "would help prepare the global discussions."],
        "fr": ["Des réunions régionales et thématiques, notamment celles des commissions "
               "régionales, aideraient à préparer les débats mondiaux."],
        "es": ["Las reuniones regionales y temáticas, incluidas las de las comisiones "
               "regionales, ayudarían a preparar los debates mundiales."],
    },
}


def _say(rng: random.Random, key: str, language: str) -> str:
    return rng.choice(PHRASES[key][language])


def _answers(rng: random.Random, views: set[str], language: str) -> dict[str, str]:
    forum = [_say(rng, "useful" if "useful" in views else "no_opinion", language)]
    forum += [_say(rng, k, language) for k in ("special_consideration", "more_time")
              if k in views]
    sole = [_say(rng, "sole_followup" if "sole_followup" in views else "not_sole", language)]
    if "more_time" in views and "sole_followup" not in views:
        sole.append(_say(rng, "more_time", language))
    relation = [_say(rng, k, language) for k in ("strengthen_link", "existing_structures")
                if k in views] or [_say(rng, "relationship_adequate", language)]
    assembly = [_say(rng, k, language) for k in ("ga_agenda", "periodic_hld") if k in views] \
        or [_say(rng, "ga_minimal", language)]
    regional = [_say(rng, "regional_thematic", language)] if "regional_thematic" in views else []
    return {"forum_useful": " ".join(forum), "forum_sole_followup": " ".join(sole),
            "forum_un_relationship": " ".join(relation), "ga_followup": " ".join(assembly),
            "regional_processes": " ".join(regional)}


def _day(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    day = first + datetime.timedelta(days=rng.randint(0, (last - first).days))
    while day.weekday() >= 5:  # replies are registered on working days
        day -= datetime.timedelta(days=1)
    return max(day, first)


def demo_replies(member_iso3: list[str], languages: dict[str, str]) -> tuple[
        list[DemoReply], list[str]]:
    """The replies (64 by the cut-off, 2 after it) and the States that declined.

    ``member_iso3``: the Member States, sorted; ``languages``: each State's usual UN
    language. Deterministic: the same seed gives the same replies.
    """
    rng = random.Random(SEED)  # noqa: S311 - a reproducible demo, not a secret
    chosen = rng.sample(member_iso3, sum(n for n, _f, _l in ARRIVALS) + DECLINING)
    repliers, declined = chosen[:-DECLINING], chosen[-DECLINING:]
    dates = []
    for count, first, last in ARRIVALS:
        dates += sorted(_day(rng, first, last) for _ in range(count))
    counted = len(repliers) - ARRIVALS[-1][0]  # the 64 received by the cut-off

    views: dict[str, set[str]] = {iso3: set() for iso3 in repliers}
    order = repliers[:counted]
    for iso3 in rng.sample(order, 3):
        views[iso3].add("no_opinion")
    useful = [i for i in order if "no_opinion" not in views[i]]
    for iso3 in useful:
        views[iso3].add("useful")
    sole = set(rng.sample(useful, VIEW_COUNTS["sole_followup"]))
    for iso3 in sole:
        views[iso3].add("sole_followup")
    for view, count in VIEW_COUNTS.items():
        if view == "sole_followup":
            continue
        pool = [i for i in useful if not (view in NOT_WITH_SOLE and i in sole)]
        for iso3 in rng.sample(pool, count):
            views[iso3].add(view)
    for iso3 in repliers[counted:]:  # the late ones say what most said
        views[iso3] |= {"useful", "ga_agenda"}

    channels = [c for c, weight in CHANNEL_WEIGHTS for _ in range(weight)]
    replies = []
    for iso3, day in zip(repliers, dates, strict=True):
        language = languages.get(iso3, "en")
        language = language if language in ("fr", "es") else "en"
        channel = rng.choice(channels)
        replies.append(DemoReply(iso3=iso3, received_on=day, channel=channel,
                                 language=language, views=views[iso3],
                                 answers=_answers(rng, views[iso3], language),
                                 amended=channel == "portal" and rng.random() < 0.15))
    return replies, declined

"""Tallies of views: how many replying States hold each view, overall and by group.

INTERFACE (implemented by the tallies work; the report, charts and the ``tally``
command use exactly these functions). Counts are of States, never of passages, and
only the reconciled (``final``) coding counts. ``as_of`` limits everything to the
replies received by that date (submitted responses with ``received_on <= as_of``);
without it, replies received by the questionnaire's cut-off count.

def respondents(*, questionnaire, as_of=None) -> pandas.DataFrame
    One row per replying State: recipient_id, iso3, m49, name, region, subregion,
    is_ldc, is_lldc, is_sids, is_developed, received_on, channel, timing.

def code_tally(*, questionnaire, as_of=None, by=None) -> pandas.DataFrame
    One row per code in codebook order (or per code × group when ``by`` is "region",
    "subregion" or "group"): key, label, [group], count (States holding it),
    respondents (the base: replying States, in that group), recipients (States asked,
    in that group), share_respondents, share_recipients.

def participation(*, questionnaire, as_of=None) -> Participation
    recipients, respondents, on_time, late, as_of (the date used), by_region DataFrame.

def crosstab(*, questionnaire, key_a, key_b, as_of=None) -> pandas.DataFrame
def choice_tally(*, questionnaire, question_code, as_of=None, by=None) -> pandas.DataFrame
"""

"""Report language: counts turned into the words of a report, always with the figures.

INTERFACE (implemented by the tallies work):

def quantity_phrase(count: int, base: int, *, noun="respondents") -> Phrase
    Phrase(words="one in every six", count=11, base=64, text="one in every six
    respondents (11 of 64)") following the documented legend in docs/analysis.md.

def participation_sentence(*, questionnaire, as_of=None) -> str
    "By 15 July 2008, 64 Member States had replied to the questionnaire."

def view_sentences(*, questionnaire, as_of=None) -> list[ViewSentence]
    One draft sentence per code with its Phrase and the States behind it.
"""

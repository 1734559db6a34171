"""The demo case: the 2008 questionnaire on the follow-up to the 2006 High-level Dialogue.

Source: A/63/269, paragraphs 21-24. Dates and counts follow the report; contact
details, names and answer texts are illustrative and marked so in the data.
"""

"""A questionnaire as an XLSForm workbook (.xlsx), out and back in.

XLSForm is the spreadsheet convention of ODK, KoboToolbox, SurveyCTO and others: a
``survey`` sheet (one row per question, ``type``, ``name``, ``label::English (en)``,
``hint::…``, ``required``), a ``choices`` sheet (``list_name``, ``name``, labels) and a
``settings`` sheet. Writing and reading it lets staff reuse forms drafted in those
tools and draft or translate a questionnaire in a spreadsheet.

Inquiry adds columns of its own to ``settings`` (reference, dates, languages,
reminder schedule, translated title and introduction) so that an export imported
again gives the same questionnaire. What XLSForm can express and Inquiry cannot is
never dropped quietly: a feature that would change what is asked (skip logic,
answer checks, calculations, repeats...) refuses the file, listing every row; a
cosmetic one (appearance, media, notes) is imported without it and reported.

The package: :mod:`.format` (what the workbook holds), :mod:`.export`,
:mod:`.reading` (rows and cells, with their place) and :mod:`.importing`.
"""

from surveys.xlsform.export import questionnaire_to_xlsform
from surveys.xlsform.format import XLSX_MIME, XlsformError, XlsformReport
from surveys.xlsform.importing import questionnaire_from_xlsform

__all__ = ["XLSX_MIME", "XlsformError", "XlsformReport", "questionnaire_from_xlsform",
           "questionnaire_to_xlsform"]

"""File formats for the admin's Import screens, reading through :mod:`surveys.spreadsheets`.

The admin and the management commands then read files alike (semicolon CSV, BOM,
header spellings, blank rows), and a file that cannot be read says why. The reader
tells a file by its content: an .xls, .ods or PDF sent with the XLSX (or CSV) format
chosen gets the same message as through the commands.
"""

from import_export.formats import base_formats

from surveys.spreadsheets import SpreadsheetError, UploadValidator, read_csv, read_xlsx


class CSV(base_formats.CSV):
    def is_binary(self):
        return True  # we decode ourselves, to report a wrong encoding plainly

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, str):
            in_stream = in_stream.encode("utf-8")
        return read_csv(in_stream)


class XLSX(base_formats.XLSX):
    def create_dataset(self, in_stream):
        return read_xlsx(in_stream)


IMPORT_FORMATS = [XLSX, CSV]
EXPORT_FORMATS = [base_formats.XLSX, base_formats.CSV]


class ReadableErrorsMixin:
    """Show staff the reader's own message rather than an exception's class name."""

    import_formats = IMPORT_FORMATS
    export_formats = EXPORT_FORMATS

    def create_import_form(self, request):
        form = super().create_import_form(request)
        # The size is checked before import-export reads the whole upload into memory.
        form.fields["import_file"].validators.append(UploadValidator())
        return form

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, SpreadsheetError):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)

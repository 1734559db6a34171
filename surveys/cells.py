"""Spreadsheet cells that cannot run as formulas (CSV/formula injection).

A reply or a contact typed by anyone may start with ``=``, ``+``, ``-`` or ``@``;
opened in a spreadsheet program such a cell could run as a formula. Every export
Inquiry writes passes its text through :func:`formula_safe`, which prefixes a single
quote (the OWASP advice); every import passes text through :func:`unescape`, so a
file exported and imported again comes back unchanged ("+41 22 917 1234" included).
"""

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value):
    """Return ``value`` with a leading quote if it is text that starts like a formula."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def unescape(value):
    """Undo :func:`formula_safe` on a cell read back from an exported file."""
    if isinstance(value, str) and value.startswith("'") and value[1:2] and \
            value[1:].startswith(DANGEROUS_PREFIXES):
        return value[1:]
    return value

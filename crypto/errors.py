"""The one error ``crypto`` raises for anything that does not open."""


class DecryptionError(Exception):
    """A blob did not open: wrong key, wrong place, tampered, truncated or unknown format.

    Deliberately one type with a terse message: callers must not branch on why.
    """

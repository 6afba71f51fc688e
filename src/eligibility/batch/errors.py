"""What goes wrong reading a register or writing its scored table."""

from __future__ import annotations

from ..errors import EligibilityError


class RegisterError(EligibilityError):
    """A register cannot be read as a table (unknown format, duplicate headers, undecodable text).

    Attributes: ``file`` and, where it applies, ``column``.
    """

    def location(self) -> str:
        file = self.details.get("file")
        return f"{file}: " if file else ""


class OutputTooLargeError(EligibilityError):
    """The output does not fit the chosen format (an Excel sheet holds 1,048,575 data rows).

    Attributes: ``file``, ``rows`` (rows the output needs, at least), ``limit``.
    """


class RegisterWarning(UserWarning):
    """Something in a register was left out (unknown columns) or not found (mapped headers)."""

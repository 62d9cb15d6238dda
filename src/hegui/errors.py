"""The small set of exceptions hegui raises, and the exit codes the CLI maps them to.

Every message names the file and, where it can, the byte offset or the field, and says what to do.
"""

from __future__ import annotations

import os

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INPUT = 3


class HeguiError(Exception):
    """Base class of every error hegui raises on purpose."""

    exit_code = EXIT_INPUT

    def __init__(
        self, message: str, *, path: str | os.PathLike[str] | None = None, offset: int | None = None
    ) -> None:
        self.path = str(path) if path is not None else None
        self.offset = offset
        self.detail = message
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.offset is not None:
                where += f" at byte {self.offset}"
            where += ": "
        elif self.offset is not None:
            where = f"at byte {self.offset}: "
        return where + self.detail


class UsageError(HeguiError):
    """The caller asked for something that cannot be done as asked (bad argument, bad record)."""

    exit_code = EXIT_USAGE


class InputError(HeguiError):
    """The input is unreadable, truncated, hostile or not what it claims to be."""


class UnsupportedFormatError(InputError):
    """No container handler recognises the file, or the handler cannot write this variant."""


class WriteVerifyError(HeguiError):
    """The label read back after writing differs from the one written; the original was left untouched."""


class LimitExceededError(InputError):
    """A declared size or count goes beyond what hegui accepts (a guard against hostile input)."""

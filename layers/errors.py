"""Errors for expected faults in the user's input or command line.

The CLI turns these into a one-line message and an exit status, never a traceback:

==========  =================================================
exit code   meaning
==========  =================================================
0           success
1           the command ran and reports findings (audits, checks)
2           usage error (bad option, unknown type, missing argument)
3           input error (a file is missing, unreadable or malformed)
==========  =================================================
"""

from __future__ import annotations

import functools

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INPUT = 3


class RedlineError(Exception):
    """Base class for expected faults: the message is shown to the user as is."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 feature: object | None = None):
        self.path = None if path is None else str(path)
        self.line = line
        self.feature = feature
        self.reason = message
        super().__init__(self._compose())

    def __reduce__(self):
        # pickled whole (a check's error raised in a forked child is raised again in the parent)
        return functools.partial(type(self), path=self.path, line=self.line, feature=self.feature), (self.reason,)

    def _compose(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f", line {self.line}"
            if self.feature is not None:
                where += f", feature {self.feature}"
            where += ": "
        elif self.feature is not None:
            where = f"feature {self.feature}: "
        return where + self.reason


class InputError(RedlineError):
    """A file is missing, unreadable, empty or malformed (exit code 3)."""

    exit_code = EXIT_INPUT


class UsageError(RedlineError):
    """An option or argument is wrong (exit code 2)."""

    exit_code = EXIT_USAGE

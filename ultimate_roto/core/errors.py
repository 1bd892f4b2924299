"""Error hierarchy shared by core, batch and app; each error maps to a batch exit code."""
from __future__ import annotations

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_FAILED = 3
EXIT_CANCELLED = 130


class RotoError(Exception):
    """Base of every error the user may see.

    Parameters
    ----------
    message
        What went wrong, naming the file / field / frame concerned.
    hint
        How to fix it (shown on its own line as "hint: ...").
    """

    exit_code = EXIT_FAILED

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class InputError(RotoError):
    """Bad user input: a job file, a path, a parameter (exit code 2)."""

    exit_code = EXIT_BAD_INPUT


class JobError(InputError):
    """A job file that does not validate."""


class MediaError(InputError):
    """Media that cannot be opened or decoded: missing, unsupported, corrupt, truncated."""


class ProcessingError(RotoError):
    """Failure after work started (exit code 3); finished outputs are kept."""


class OutputError(ProcessingError):
    """Writing an output failed: unwritable folder, disk full, encoder error."""


class Cancelled(RotoError):
    """The user cancelled (Ctrl-C, Cancel button); exit code 130."""

    exit_code = EXIT_CANCELLED

    def __init__(self, message: str = "cancelled by user", hint: str | None = None) -> None:
        super().__init__(message, hint)

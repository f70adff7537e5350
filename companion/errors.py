"""Domain errors that the CLI turns into one actionable line and an exit code.

Every error a user can cause (missing model, bad path, unreadable WAV, no
device, corrupt content file) is raised as a :class:`CompanionError` with a
message that says what went wrong and a ``fix`` that says what to do.
"""

from __future__ import annotations


class CompanionError(Exception):
    """A user-facing error: ``message`` says what happened, ``fix`` what to do."""

    exit_code = 1

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.fix}" if self.fix else self.message

    def one_line(self) -> str:
        """Message and fix on one line, for a warning in the middle of a session."""
        return f"{self.message} ({self.fix})" if self.fix else self.message


class ContentError(CompanionError):
    """A content file (TOML) is missing, malformed, or has wrong fields."""

    exit_code = 3


class ModelError(CompanionError):
    """A recognizer model is missing, broken, or failed to download."""

    exit_code = 4


class AudioError(CompanionError):
    """An audio device or WAV file cannot be used."""

    exit_code = 5


class EngineError(CompanionError):
    """A speech engine (recognizer or text-to-speech) is missing or failed."""

    exit_code = 6

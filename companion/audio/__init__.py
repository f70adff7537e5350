"""The audio shell: one input stream, one output stream, devices, WAV files."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class AudioSource(Protocol):
    """A microphone or a file played as one: 16 kHz mono int16 blocks."""

    def read(self, timeout_s: float | None = None) -> np.ndarray | None:
        """The next block, or None when none came within ``timeout_s``."""

    def drain(self) -> int:
        """Drop what is queued (after the companion spoke); returns blocks dropped."""

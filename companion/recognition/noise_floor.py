"""The room's steady noise level, so frames that are only noise count as silence.

Why: the WebRTC-style VAD calls steady broadband noise (a fan, traffic, a busy
room) speech once it is within ~15 dB of the voice: with pink noise 15 dB under
a command, the VAD alone lets no utterance end before the 12 s limit. A frame
counts as speech only when the VAD says so *and* it is clearly louder than the
quietest frames of the last moments (minimum statistics). In a quiet room the
floor is far below any speech and the VAD alone decides.

Levels are plain frame power, without pre-emphasis: pre-emphasis makes noise
steadier but brings vowels, where most of a voice's power is, close to the
noise, so a short word in noise barely opens an utterance (docs/decisions/004).
"""

from __future__ import annotations

from collections import deque

import numpy as np

WINDOW_FRAMES = 50  # frames the floor is the minimum of (1.5 s of 30 ms frames)
# How far over the floor a frame must be to count as voice. 30 ms frames of steady
# pink noise spread ~1.4 dB around their mean and their 1.5 s minimum sits ~2.5 dB
# under it, so noise alone passes 7 dB over the minimum in well under 1% of frames;
# the vowels of a command 15 dB over that noise stand 13-19 dB over its mean.
MARGIN_DB = 7.0
# A frame this far under the loudest of the words before it has fallen away from them
# (the speech end the bench measures, 3% of the peak amplitude, is 30 dB under it).
FALL_DB = 35.0
# Frames after a loud one that still count as voice: the weak end of a word ("next",
# "stop") is often under the noise, and without them a command is judged on "ne".
HANGOVER_FRAMES = 4


FULL_SCALE_DB = float(20.0 * np.log10(32768.0))  # level_db of a full-scale square wave


def level_db(frame: np.ndarray) -> float:
    """Mean power of an int16 frame, in dB (digital silence: 0; dBFS: minus FULL_SCALE_DB)."""
    x = frame.astype(np.float64)
    return float(10.0 * np.log10(np.mean(x * x) + 1.0))


class NoiseFloor:
    """Minimum-statistics noise floor over the last ``window`` frames."""

    def __init__(self, window: int = WINDOW_FRAMES, margin_db: float = MARGIN_DB,
                 hangover: int = HANGOVER_FRAMES, fall_db: float = FALL_DB) -> None:
        self._levels: deque[float] = deque(maxlen=window)
        self._margin_db = margin_db
        self._fall_db = fall_db
        self._hangover = hangover
        self._since_loud = hangover + 1
        self.last_db = 0.0  # the level of the last frame taken in

    @property
    def floor_db(self) -> float | None:
        """The floor now: the quietest recent frame (None before a full window)."""
        return min(self._levels) if len(self._levels) == self._levels.maxlen else None

    def fallen_away(self, peak_db: float) -> bool:
        """Whether the last frame is quiet by its level alone: near the floor, or
        ``fall_db`` under ``peak_db`` (the loudest frame of the words before it).

        Why: the VAD holds on to speech ~0.2 s after the words end (its hangover, and
        a tail it still calls voice), so a pause counted from it starts late.
        """
        floor = min(self._levels) if self._levels else 0.0
        return self.last_db < max(peak_db - self._fall_db, floor + self._margin_db)

    def over(self, frame: np.ndarray) -> bool:
        """Take in ``frame``; True when it (or one of the few before it) stands clearly
        over the recent floor."""
        level = self.last_db = level_db(frame)
        self._levels.append(level)
        loud = level > min(self._levels) + self._margin_db
        self._since_loud = 0 if loud else self._since_loud + 1
        return self._since_loud <= self._hangover

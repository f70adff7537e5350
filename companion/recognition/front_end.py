"""The front end: what each 30 ms frame of the microphone is, before any engine hears it.

Every engine shares it. Per frame it answers two questions and gives one view:

* **Is this speech?** A WebRTC-style VAD (``pocketsphinx.Vad``, which needs no
  model) and the room's steady noise floor (``noise_floor``) must both say so:
  the VAD alone calls steady noise speech, so in a noisy room an utterance
  would never end.
* **Has the sound fallen away?** Whether a frame is near the floor, or far under
  the utterance's loudest frame: the endpointer counts quiet from here.
* **The view a decoder hears:** the frame with the room's steady noise filtered
  out (``denoise``; the noise estimate learns only between utterances) and, when
  the microphone records only the telephone band, widened to full band
  (``bandwidth``). The VAD and the floor work on the audio as it came.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from companion.recognition.bandwidth import BandWatch
from companion.recognition.base import FRAME, SAMPLE_RATE_HZ, InputLevels
from companion.recognition.denoise import Denoiser
from companion.recognition.noise_floor import (
    FALL_DB,
    FULL_SCALE_DB,
    HANGOVER_FRAMES,
    MARGIN_DB,
    WINDOW_FRAMES,
    NoiseFloor,
)

FRAME_S = FRAME / SAMPLE_RATE_HZ


@dataclass(frozen=True)
class FrontEndConfig:
    """The front end's settings, each with its reason (the noise floor's: ``noise_floor``)."""

    # The VAD's strictness (0-3): 2 keeps breaths and clicks out without losing soft onsets.
    vad_mode: int = 2
    floor_window_frames: int = WINDOW_FRAMES  # the floor is the quietest of these (1.5 s)
    floor_margin_db: float = MARGIN_DB  # voice stands this far over it; noise rarely does
    hangover_frames: int = HANGOVER_FRAMES  # a word's weak end hides in the noise
    fall_db: float = FALL_DB  # this far under the words' peak, their sound has fallen away
    level_frames: int = 100  # speech frames the reported speech level is a median of (3 s)
    min_level_frames: int = 10  # ... and how many it needs before it reports one


@dataclass(frozen=True)
class FrontFrame:
    """One frame as the front end made it out."""

    raw: np.ndarray  # as it came (10 ms earlier than ``clean``: the denoiser's hop)
    clean: np.ndarray  # noise filtered out, as a decoder should hear it
    speech: bool  # voiced and over the noise floor
    level_db: float  # the frame's level (see ``noise_floor.level_db``)


class FrontEnd:
    """Speech detection, noise filtering and band widening, frame by frame.

    Everything here belongs to the room and the microphone, not to an utterance,
    so it is kept across recognizer resets.
    """

    def __init__(self, config: FrontEndConfig | None = None, filtered: bool = True) -> None:
        """``filtered`` off: the engine hears the audio as it came, so no frame is
        filtered (``clean`` is the frame itself) and no time is spent on it."""
        import pocketsphinx as ps

        self.config = config or FrontEndConfig()
        self._vad = ps.Vad(self.config.vad_mode, SAMPLE_RATE_HZ, FRAME_S)
        c = self.config
        self._floor = NoiseFloor(c.floor_window_frames, c.floor_margin_db, c.hangover_frames,
                                 c.fall_db)
        self._band = BandWatch()
        self._denoiser = Denoiser() if filtered else None
        self._speech_db: deque[float] = deque(maxlen=self.config.level_frames)

    def frame(self, frame: np.ndarray, learn: bool) -> FrontFrame:
        """Take one FRAME of int16 samples; ``learn``: no utterance is open, so the
        noise filter may learn from it."""
        # Both are asked every frame, so the floor keeps following the room.
        voiced = bool(self._vad.is_speech(frame.tobytes()))
        speech = self._floor.over(frame) and voiced
        if speech:
            self._band.take(frame)
            self._speech_db.append(self._floor.last_db)
        clean = frame if self._denoiser is None else self._denoiser.clean(frame, learn=learn)
        return FrontFrame(frame, clean, speech, self._floor.last_db)

    def fallen_away(self, peak_db: float) -> bool:
        """The last frame is quiet: near the floor, or far under ``peak_db``."""
        return self._floor.fallen_away(peak_db)

    @property
    def narrow(self) -> bool:
        """The microphone records only the telephone band."""
        return self._band.narrow

    @property
    def noise(self) -> np.ndarray:
        """The noise spectrum the filter takes out now (none when not filtering)."""
        return self._denoiser.noise if self._denoiser is not None else np.zeros(0)

    def input_levels(self) -> InputLevels:
        """Band, room noise and speech level as measured so far (``listen --live``)."""
        floor = self._floor.floor_db
        speech = (float(np.median(self._speech_db))
                  if len(self._speech_db) >= self.config.min_level_frames else None)
        return InputLevels(
            telephone_band=self._band.narrow,
            noise_dbfs=None if floor is None else round(floor - FULL_SCALE_DB, 1),
            speech_dbfs=None if speech is None else round(speech - FULL_SCALE_DB, 1))

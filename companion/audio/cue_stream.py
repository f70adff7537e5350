"""The shared output stream's speaker, and the microphone kept free of the cues.

A session with timed cues (breathing) plays everything through one
persistent :class:`SpeechOutput`: cues at exact stream-clock times, spoken
prompts queued on the same stream (:class:`StreamSpeaker`), so nothing ever
opens a second stream. The microphone is read through :class:`GatedSource`,
so the companion never takes its own cues for speech.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from companion.audio.output import SpeechOutput
from companion.audio.resample import resample
from companion.audio.tone_cancel import ToneCanceller
from companion.errors import EngineError

log = logging.getLogger(__name__)

GUARD_S = 0.3  # after a spoken cue leaves the speaker, before the microphone counts again
CLOCK_DRIFT = 5e-4  # how far the sound card's clock may run from the system's (500 ppm)


class StreamSpeaker:
    """The runtime's Speaker, playing rendered prompts queued on the shared stream."""

    def __init__(self, output: SpeechOutput, renderer: Any) -> None:
        self.output = output
        self.renderer = renderer
        self._lock = threading.Lock()
        self._pending: dict[str, bool] = {}  # prompt id -> interruptible

    def speak(self, prompt_id: str, text: str, interruptible: bool,
              on_done: Callable[[str], None]) -> None:
        try:
            samples, rate = self.renderer.render(text)
        except EngineError as err:
            log.warning("could not speak %r: %s", text[:40], err)
            on_done(prompt_id)
            return
        with self._lock:
            self._pending[prompt_id] = interruptible

        def done(_stream_s: float) -> None:
            with self._lock:
                self._pending.pop(prompt_id, None)
            on_done(prompt_id)

        self.output.play(resample(samples, rate, self.output.sample_rate), at_s=None,
                         tag=prompt_id, interruptible=interruptible, on_done=done)

    def stop(self) -> None:
        self.output.stop_speech()
        with self._lock:
            self._pending = {k: v for k, v in self._pending.items() if not v}

    def set_rate(self, words_per_minute: int) -> None:
        self.renderer.rate_wpm = words_per_minute

    def busy(self) -> bool:
        with self._lock:
            return bool(self._pending)

    def must_finish(self) -> bool:
        with self._lock:
            return not all(self._pending.values())

    def prerender(self, texts: list[str]) -> None:
        self.renderer.prerender(texts)

    def close(self) -> None:
        self.output.close()
        self.renderer.close()


class GatedSource:
    """Wraps the microphone: the companion's own cues are kept out of what it hears.

    Tone cues are taken out of the audio (:class:`ToneCanceller`), so speech
    over them is still heard; while a spoken cue sounds the recognizer is
    handed silence (not dropped blocks: that keeps its timeline continuous and
    ends any half-heard word cleanly). Each block is placed in time by the
    samples counted since the stream (re)started, anchored to the earliest
    moment they can have been captured, so a block read late (the recognizer
    was busy) is not taken for a later one.
    """

    def __init__(self, source: Any, rate_hz: int = 16_000) -> None:
        self.source = source
        self.rate_hz = rate_hz
        self.tones = ToneCanceller(rate_hz)
        self._windows: list[tuple[float, float]] = []  # monotonic (start, end)
        self._lock = threading.Lock()
        self._samples = 0
        self._anchor: float | None = None  # monotonic time of the first sample counted

    def expect(self, cue_name: str, start_mono: float, length_s: float) -> None:
        """A cue will sound from ``start_mono``: cancel it if a tone, else hand out silence."""
        if not self.tones.expect(cue_name, start_mono):
            self.quiet(start_mono - 0.05, start_mono + length_s)

    def quiet(self, start_mono: float, end_mono: float) -> None:
        """Hand out silence between these monotonic times."""
        with self._lock:
            now = time.monotonic()
            self._windows = [w for w in self._windows if w[1] > now]
            self._windows.append((start_mono, end_mono + GUARD_S))

    def _gated(self, now: float) -> bool:
        with self._lock:
            return any(a <= now <= b for a, b in self._windows)

    def read(self, timeout_s: float | None = None) -> np.ndarray | None:
        block = self.source.read(timeout_s)
        if block is None:
            return None
        self._samples += block.size
        earliest = time.monotonic() - self._samples / self.rate_hz
        self._anchor = earliest if self._anchor is None else min(
            self._anchor + block.size / self.rate_hz * CLOCK_DRIFT, earliest)
        end = self._anchor + self._samples / self.rate_hz
        if self._gated(end):
            return np.zeros_like(block)
        return self.tones.process(block, end)

    def drain(self) -> int:
        self._samples, self._anchor = 0, None
        return int(self.source.drain())

"""Telephone-band microphones: notice them and give the decoder a full-band view.

Why: a Bluetooth headset in its hands-free profile, a phone line or an old USB
headset samples at 8 kHz. Brought to 16 kHz it carries nothing above 4 kHz,
while pocketsphinx's US-English model was trained on 16 kHz speech whose
fricatives and bursts live up there.

Two measures, both only in what the decoder sees (the VAD and the noise
floor keep the microphone's own samples; the figures are in
docs/decisions/004):

* **Spectral folding** when the input is band-limited: every other sample is
  kept and the rest zeroed, which mirrors 0-4 kHz into 4-8 kHz (the oldest
  trick of telephone bandwidth extension). The mirror is not the real high
  band, but it puts energy where the model expects fricatives: telephone-band
  dictation comes out with fewer word errors, and commands hold. On full-band
  speech folding hurts, hence the detector.
* **A faint noise floor** (-70 dBFS, fixed so a decode is repeatable): exact
  digital zeros (a noise-gated microphone, an empty band) drive the model's
  log filter energies to their floor, which no training audio had. Audio with
  digital silence in its pauses is heard better over the floor; under real
  noise the floor lies far below it.

The detector compares the power above 4.5 kHz with the power at 0.3-3.4 kHz
over the last 1.5 s of speech (so a switched headset is made out within
1.5 s of speech), Hann-windowed so the strong low band does not leak into the
high one.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from companion.recognition.base import FRAME

# High band this far under the speech band: nothing is up there. Full-band voices measure
# -49 dB or above per command, an 8 kHz voice -60 dB or below.
NARROW_DB = -55.0
MIN_SPEECH_FRAMES = 10  # speech seen (0.3 s) before judging
WINDOW_FRAMES = 50  # speech frames judged (1.5 s)
NOISE_DBFS = -70.0
_FREQS = np.fft.rfftfreq(FRAME, 1 / 16000)
_SPEECH_BAND = (_FREQS >= 300) & (_FREQS <= 3400)
_HIGH_BAND = (_FREQS >= 4500) & (_FREQS <= 7500)
_WINDOW = np.hanning(FRAME)
# One fixed stretch of noise, laid on frame by frame: the same audio always gives the
# same view, so re-decoding an utterance gives what streaming it gave.
_NOISE = np.random.default_rng(0).normal(0.0, 32768 * 10 ** (NOISE_DBFS / 20), FRAME)


class BandWatch:
    """Running judgement of whether the microphone's speech stops at 4 kHz."""

    def __init__(self) -> None:
        self._powers: deque[tuple[float, float]] = deque(maxlen=WINDOW_FRAMES)
        self.narrow = False

    def take(self, frame: np.ndarray) -> None:
        """Take in one speech frame (``FRAME`` int16 samples)."""
        power = np.abs(np.fft.rfft(frame.astype(np.float64) * _WINDOW)) ** 2
        self._powers.append((float(power[_HIGH_BAND].sum()), float(power[_SPEECH_BAND].sum())))
        if len(self._powers) >= MIN_SPEECH_FRAMES:
            self.narrow = self.ratio_db() < NARROW_DB

    def ratio_db(self) -> float:
        """High-band power over speech-band power in recent speech, in dB."""
        high = sum(h for h, _ in self._powers)
        speech = sum(s for _, s in self._powers)
        return float(10 * np.log10((high + 1.0) / (speech + 1.0)))


def decoder_view(frame: np.ndarray, narrow: bool) -> np.ndarray:
    """What the decoder is given for one frame: folded when ``narrow``, over a faint floor."""
    x = frame.astype(np.float64)
    if narrow:
        folded = np.zeros_like(x)
        folded[::2] = 2.0 * x[::2]  # zero-stuffing a 2x decimation mirrors 0-4 kHz upwards
        x = folded
    x += _NOISE[: x.size]
    return np.clip(np.rint(x), -32768, 32767).astype(np.int16)

"""Steady background noise taken out of what the decoder hears (a streaming Wiener filter).

Why: pocketsphinx's model was trained on quiet speech. In a room with a fan or
traffic 15 dB under the voice, its free decoding turns commands into other
words ("i will stay" heard as "i am a fan"), so the command check rejects them,
and sentences come out as commands now and then. A Wiener filter whose noise
spectrum is the minimum of the recent averaged spectrum (minimum statistics,
no speech detector needed) takes out what stays, and leaves what comes and
goes: speech. In a quiet room the minimum is near zero and the filter passes
the audio as it is.

The noise is tracked all the time, but what is taken out is held while an
utterance is open: noise that starts with the words (a tap turned on) would
otherwise change the spectrum the decoder hears halfway through them, which
costs more commands than the filter wins (docs/decisions/004).

Noise that came with the words (the room was silent before them) is therefore
not taken out while they stream in. When such an utterance is decoded at its
end, its own quietest stretches give the noise (``noise_of``) and the whole
utterance is filtered again with it held (``refilter``), so a command said as
a noise starts is still heard.

Only the decoder is given the filtered audio; the VAD and the noise floor keep
the microphone's samples. Windows are 20 ms and overlap by half (square-root
Hann, which adds back to the input exactly when nothing is taken out), so the
output runs 10 ms behind the input: one decoder frame, so the decoder's frames
fall on the same samples as without the filter (another lag moves borderline
commands).

The filter is a plain Wiener filter, not a neural suppressor: RNNoise hears
fewer commands in all (docs/decisions/004).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from companion.recognition.base import FRAME

WINDOW = 320  # samples per analysis window (20 ms)
HOP = WINDOW // 2  # 10 ms: one decoder frame, so the decoder's frames fall on the same samples
# The minimum is taken over the power spectrum averaged over the last 8 hops: a plain
# average forgets a loud word at once, so the pause after it is not taken for noise
# (docs/decisions/004).
AVERAGE_HOPS = 8
BLOCK_HOPS, BLOCKS = 15, 10  # the noise is the minimum over the last 1.35-1.5 s, kept
# as the minima of 150 ms blocks (Martin's sub-windows: no 1.5 s history to scan per hop)
BIAS = 2.0  # the minimum of 8-hop averages sits at ~0.35 of the mean: this makes ~0.7
DECISION_DIRECTED = 0.98  # weight of the last hop's clean estimate in the a-priori SNR
FLOOR = 1e-3  # noise power never taken as zero (digital silence)
GAIN_FLOOR = 0.1  # never take a bin down by more than 20 dB (keeps the rest natural)

_WINDOW = np.sqrt(np.hanning(WINDOW + 1)[:-1])  # periodic: squared, halves add up to 1


class Denoiser:
    """Streaming minimum-statistics Wiener filter; one per microphone (the room's noise)."""

    def __init__(self, noise: np.ndarray | None = None) -> None:
        """``noise``: a power spectrum to take out from the start (``noise_of``)."""
        bins = WINDOW // 2 + 1
        self._input = np.zeros(WINDOW)  # the last WINDOW input samples
        self._tail = np.zeros(HOP)  # second half of the last window's output, still to add to
        self._recent = np.zeros((AVERAGE_HOPS, bins))  # the last hops' power spectra
        self._recent_at = 0
        self._block_min = np.full(bins, np.inf)  # minimum so far in the current block
        self._block_hops = 0
        self._blocks: deque[np.ndarray] = deque(maxlen=BLOCKS - 1)  # earlier blocks' minima
        self._past_min = np.full(bins, np.inf)  # ... and their minimum
        self._clean_snr = np.zeros(bins)  # last hop's (gain^2 * posterior SNR)
        self._tracked = np.full(bins, FLOOR) if noise is None else noise  # the noise now
        self._noise = self._tracked  # ... and as taken out (held inside an utterance)

    @property
    def noise(self) -> np.ndarray:
        """The power spectrum being taken out (per bin of a WINDOW-sample window)."""
        return self._noise

    def clean(self, frame: np.ndarray, learn: bool = True) -> np.ndarray:
        """Take one FRAME of int16 samples; give the filtered FRAME, HOP samples later.

        ``learn`` False holds the noise taken out as it is (inside an utterance); it is
        still tracked, and taken out from the next frame that learns.
        """
        x = frame.astype(np.float64)
        out = np.empty(FRAME)
        for at in range(0, FRAME, HOP):
            self._input = np.concatenate([self._input[HOP:], x[at:at + HOP]])
            out[at:at + HOP] = self._step(learn)
        return np.clip(np.rint(out), -32768, 32767).astype(np.int16)

    def _step(self, learn: bool) -> np.ndarray:
        """Filter the current window; return the HOP samples it completes."""
        spectrum = np.fft.rfft(self._input * _WINDOW)
        power = spectrum.real ** 2 + spectrum.imag ** 2
        self._learn(power)
        if learn:
            self._noise = self._tracked
        posterior = power / self._noise
        prior = (DECISION_DIRECTED * self._clean_snr
                 + (1 - DECISION_DIRECTED) * np.maximum(posterior - 1.0, 0.0))
        gain = np.maximum(prior / (1.0 + prior), GAIN_FLOOR)
        self._clean_snr = gain * gain * posterior
        frame = np.fft.irfft(spectrum * gain, WINDOW) * _WINDOW
        done = self._tail + frame[:HOP]
        self._tail = frame[HOP:]
        return done

    def _learn(self, power: np.ndarray) -> None:
        """Track the minimum of the averaged power spectrum over the last blocks."""
        self._recent[self._recent_at] = power
        self._recent_at = (self._recent_at + 1) % AVERAGE_HOPS
        np.minimum(self._block_min, self._recent.mean(axis=0), out=self._block_min)
        self._block_hops += 1
        self._tracked = BIAS * np.minimum(self._past_min, self._block_min) + FLOOR
        if self._block_hops == BLOCK_HOPS:
            self._blocks.append(self._block_min)
            self._past_min = np.min(self._blocks, axis=0)
            self._block_min = np.full_like(self._block_min, np.inf)
            self._block_hops = 0


def noise_of(samples: np.ndarray) -> np.ndarray:
    """The steady noise in ``samples``, estimated over all of it as ``Denoiser`` tracks it
    (the minimum of 8-hop average spectra, times BIAS): a spectrum for ``Denoiser(noise)``."""
    x = samples.astype(np.float64)
    if x.size < WINDOW + (AVERAGE_HOPS - 1) * HOP:
        return np.full(WINDOW // 2 + 1, FLOOR)
    windows = np.lib.stride_tricks.sliding_window_view(x, WINDOW)[::HOP]
    power = np.abs(np.fft.rfft(windows * _WINDOW, axis=1)) ** 2
    sums = np.cumsum(np.vstack([np.zeros(power.shape[1]), power]), axis=0)
    averages = (sums[AVERAGE_HOPS:] - sums[:-AVERAGE_HOPS]) / AVERAGE_HOPS
    return BIAS * averages.min(axis=0) + FLOOR


def refilter(frames: list[np.ndarray], noise: np.ndarray) -> list[np.ndarray]:
    """``frames`` (FRAME samples each, as they came) filtered afresh with ``noise`` held.

    Lined up as a streaming ``Denoiser`` would give them: HOP samples behind.
    """
    denoiser = Denoiser(noise)
    return [denoiser.clean(frame, learn=False) for frame in frames]

"""Sample-rate conversion in plain numpy (no scipy on these machines).

Two shapes of the same job: :func:`resample` converts a whole clip at once
(TTS renders at 22,050 Hz, the output stream runs at the device rate), and
:class:`StreamResampler` converts a microphone stream block by block without
clicks at block edges (a device that cannot open at 16 kHz).
"""

from __future__ import annotations

import math

import numpy as np

_EDGE_PAD = 512  # zeros around a clip so the FFT's wrap-around lands in silence


def resample(samples: np.ndarray, from_hz: int, to_hz: int) -> np.ndarray:
    """Return ``samples`` (1-D float) converted from ``from_hz`` to ``to_hz``.

    Band-limited FFT resampling: exact in the pass band, an ideal low-pass when
    going down, and fast enough for whole prompts (an 8 s prompt takes a few ms).
    """
    if from_hz <= 0 or to_hz <= 0:
        raise ValueError(f"sample rates must be positive, got {from_hz} and {to_hz}")
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    if from_hz == to_hz or x.size == 0:
        return x.copy()
    # FFT lengths with only small prime factors: the plain padded length of a prompt
    # can have a large one (177,424 = 16 x 11,089 took 85 ms for an 8 s prompt).
    # Blocks of ``from_hz / gcd`` input samples map to whole output samples.
    common = math.gcd(from_hz, to_hz)
    step_in, step_out = from_hz // common, to_hz // common
    blocks = 1 << max(0, math.ceil(math.log2(math.ceil((x.size + 2 * _EDGE_PAD) / step_in))))
    n_in, n_out = blocks * step_in, blocks * step_out
    padded = np.zeros(n_in, np.float32)
    padded[_EDGE_PAD:_EDGE_PAD + x.size] = x
    spectrum = np.fft.rfft(padded)
    bins_out = n_out // 2 + 1
    if bins_out <= spectrum.size:
        spectrum = spectrum[:bins_out]
    else:
        spectrum = np.concatenate([spectrum, np.zeros(bins_out - spectrum.size, spectrum.dtype)])
    y = np.fft.irfft(spectrum, n_out) * (n_out / n_in)
    pad_out = int(round(_EDGE_PAD * to_hz / from_hz))
    length = int(round(x.size * to_hz / from_hz))
    return y[pad_out : pad_out + length].astype(np.float32)


def _lowpass_taps(cutoff: float, taps: int = 63) -> np.ndarray:
    """Windowed-sinc low-pass; ``cutoff`` as a fraction of the input rate (0..0.5)."""
    n = np.arange(taps) - (taps - 1) / 2
    h = 2 * cutoff * np.sinc(2 * cutoff * n) * np.blackman(taps)
    return (h / h.sum()).astype(np.float64)


class StreamResampler:
    """Convert consecutive blocks from ``from_hz`` to ``to_hz`` seamlessly.

    A FIR low-pass (when going down) followed by linear interpolation at the
    output instants; the filter history and the fractional read position carry
    over between blocks, so block edges leave no discontinuity.
    """

    def __init__(self, from_hz: int, to_hz: int) -> None:
        if from_hz <= 0 or to_hz <= 0:
            raise ValueError(f"sample rates must be positive, got {from_hz} and {to_hz}")
        self.from_hz = from_hz
        self.to_hz = to_hz
        self._step = from_hz / to_hz  # input samples per output sample
        cutoff = 0.45 * min(from_hz, to_hz) / from_hz
        self._taps = _lowpass_taps(cutoff) if to_hz < from_hz else np.ones(1)
        self.reset()

    def reset(self) -> None:
        """Forget the past (after a drain or a reopened stream)."""
        self._history = np.zeros(self._taps.size - 1, np.float64)
        self._prev = 0.0  # last filtered sample of the previous block
        self._pos = 1.0  # next output instant, in filtered samples, 0 = self._prev

    def process(self, block: np.ndarray) -> np.ndarray:
        """Return the output samples (same dtype as ``block``) this block completes."""
        dtype = block.dtype
        x = np.asarray(block, dtype=np.float64).reshape(-1)
        if x.size == 0:
            return np.zeros(0, dtype)
        if self._taps.size > 1:
            joined = np.concatenate([self._history, x])
            filtered = np.convolve(joined, self._taps, mode="valid")
            self._history = joined[-(self._taps.size - 1):]
        else:
            filtered = x
        # Index 0 is the previous block's last sample, so interpolation spans the seam.
        track = np.concatenate([[self._prev], filtered])
        last = track.size - 1
        count = max(0, math.floor((last - self._pos) / self._step) + 1)
        where = self._pos + self._step * np.arange(count)
        out = np.interp(where, np.arange(track.size), track)
        self._pos = self._pos + self._step * count - last
        self._prev = float(track[-1])
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            return np.clip(np.round(out), info.min, info.max).astype(dtype)
        return out.astype(dtype)

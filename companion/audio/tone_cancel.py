"""Take the companion's own tone cues out of what the microphone hears.

A breathing session must keep listening while its tones play: someone may
speak over a cue, and crisis words said then must still be heard. Closing
the microphone for each cue (as for spoken prompts) lost whole sentences.
A tone's waveform is known exactly (:mod:`companion.audio.tones`: a sine
gliding along a known frequency track, with a soft octave partial), and a
room changes a slow sine's level and phase, not its frequency. So for each
block heard while a cue may be sounding, the cue's sine and cosine at the
fundamental and the octave, over a range of possible delays (output buffer,
input buffer, the air), are fitted to the block by least squares, and the
fit of the delay that has fitted best over the recent blocks is subtracted
(the path's latency is steady; one block's speech may fit a wrong delay).
Speech is close to orthogonal to a narrow sine over a 20 ms block, so little
of it goes with the tone.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from companion.audio.tones import TONES, envelope

MIN_DELAY_S, MAX_DELAY_S = -0.05, 0.45  # where the cue may be heard, after it was placed
# The delays tried: 5 ms apart, the glides' frequency is off by at most ~0.6 Hz
# at the nearest one, so the fitted sine stays in phase over a 20 ms block.
DELAYS = np.arange(MIN_DELAY_S, MAX_DELAY_S + 1e-9, 0.005)
SURE_SCORE = 5.0  # a delay that has fitted this well (summed, decaying) is taken as found
NEAR = 3  # ... and then only it and this many neighbours either side are tried
SCORE_DECAY = 0.99  # per block: how long what fitted before still counts
MIN_FIT = 0.05  # under this share of a block's energy the cue is not in it


@dataclass(frozen=True)
class _Cue:
    kind: str
    start_mono: float  # when its first sample was placed to be played (monotonic)


class ToneCanceller:
    """Subtracts known tone cues from microphone blocks (16 kHz mono int16)."""

    def __init__(self, rate_hz: int = 16_000) -> None:
        self.rate_hz = rate_hz
        self._cues: list[_Cue] = []
        self._lock = threading.Lock()
        self._score = np.zeros(DELAYS.size)  # how well each delay has fitted, decaying
        self.delay_s: float | None = None  # the delay used last (seconds after placing)
        self.removed_db = 0.0  # how much the last cancelled block lost

    def expect(self, cue_name: str, start_mono: float) -> bool:
        """A cue placed to start at ``start_mono``; False when it is not a tone."""
        kind = cue_name.removeprefix("tone.")
        if not cue_name.startswith("tone.") or kind not in TONES:
            return False
        with self._lock:
            self._cues = [c for c in self._cues if c.start_mono > start_mono - 30.0]
            self._cues.append(_Cue(kind, start_mono))
        return True

    def process(self, block: np.ndarray, end_mono: float) -> np.ndarray:
        """``block`` (its last sample heard at ``end_mono``) with any sounding cue removed."""
        n = block.size
        t = end_mono - (n - np.arange(n)) / self.rate_hz
        with self._lock:
            cues = [c for c in self._cues if self._overlaps(c, t[0], t[-1])]
        out = block.astype(np.float64)
        for cue in cues:
            out = self._cancel(out, t, cue)
        return np.clip(np.round(out), -32768, 32767).astype(np.int16)

    @staticmethod
    def _overlaps(cue: _Cue, first: float, last: float) -> bool:
        seconds = TONES[cue.kind][2]
        return (cue.start_mono + MIN_DELAY_S <= last
                and first <= cue.start_mono + MAX_DELAY_S + seconds)

    def _fits(self, y: np.ndarray, t: np.ndarray, cue: _Cue,
              which: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """For the delays ``which``: the share of the block's energy the cue explains, and
        the fit.

        All delays at once: each delay's least-squares fit of its four basis
        signals is solved from its 4x4 normal equations.
        """
        basis = self._basis(t[None, :] - cue.start_mono - DELAYS[which, None], cue.kind)
        if not (basis[:, :, 0] != 0).any():
            return None
        gram = np.einsum("dni,dnj->dij", basis, basis) + 1e-6 * np.eye(4)
        coef = np.linalg.solve(gram, np.einsum("dni,n->di", basis, y)[..., None])[..., 0]
        fits = np.einsum("dni,di->dn", basis, coef)
        explained = (fits * fits).sum(axis=1) / (float(y @ y) or 1.0)
        return explained, fits

    def _cancel(self, y: np.ndarray, t: np.ndarray, cue: _Cue) -> np.ndarray:
        # Once one delay has clearly fitted best, only its neighbours are tried.
        lead = int(np.argmax(self._score))
        which = (np.arange(max(0, lead - NEAR), min(DELAYS.size, lead + NEAR + 1))
                 if self._score[lead] >= SURE_SCORE else np.arange(DELAYS.size))
        found = self._fits(y, t, cue, which)
        if found is None:
            return y
        explained, fits = found
        # The delay is chosen by what fitted best over the blocks so far, not this block
        # alone: speech over a cue can make a wrong delay fit one block well.
        self._score *= SCORE_DECAY
        self._score[which] += explained
        best_at = int(np.argmax(self._score[which]))
        best = int(which[best_at])
        if explained[best_at] < MIN_FIT:
            return y  # nothing of the cue in this block (it has not reached the microphone)
        residual = y - fits[best_at]
        self.delay_s = float(DELAYS[best])
        self.removed_db = 10 * np.log10(float(y @ y) / max(float(residual @ residual), 1e-9))
        return residual

    def _basis(self, rel_s: np.ndarray, kind: str) -> np.ndarray:
        """Sine and cosine of the cue's fundamental and octave at times ``rel_s`` into it
        (any shape; a last axis of 4 is added), zero outside the cue."""
        f0, f1, seconds = TONES[kind]
        inside = (rel_s >= 0) & (rel_s < seconds)
        rel = np.clip(rel_s, 0.0, seconds)
        ratio = f1 / f0
        if abs(ratio - 1.0) < 1e-9:
            phase = 2 * np.pi * f0 * rel
        else:
            k = np.log(ratio) / seconds
            phase = 2 * np.pi * f0 * (np.exp(k * rel) - 1.0) / k
        n_env = max(1, int(round(seconds * self.rate_hz)))
        env = envelope(n_env, self.rate_hz)[np.minimum((rel * self.rate_hz).astype(int),
                                                        n_env - 1)] * inside
        return np.stack([np.sin(phase) * env, np.cos(phase) * env,
                         np.sin(2 * phase) * env, np.cos(2 * phase) * env], axis=-1)

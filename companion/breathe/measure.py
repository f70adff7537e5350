"""Measuring cue timing from recorded audio (tests and the benchmark).

The recording and the program's stream have different clocks and start
times, so onsets are matched to the logged schedule after one alignment:
the offset that lines up the most cues, re-anchored on the first cue. What
remains is each cue's error; the last minus the first is the drift.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def onsets(samples: np.ndarray, rate_hz: int, threshold: float | None = None,
           min_gap_s: float = 0.2, frame_s: float = 0.001) -> np.ndarray:
    """Onset times (s) of sounds after at least ``min_gap_s`` of quiet.

    Used by tests and the benchmark on recorded audio. The threshold defaults
    to 10 % of the loudest frame; the onset is the first sample over it, so a
    fixed attack gives a fixed offset that alignment removes.
    """
    x = np.abs(np.asarray(samples, dtype=np.float64).reshape(-1))
    if x.size == 0:
        return np.zeros(0)
    hop = max(1, int(frame_s * rate_hz))
    frames = x[: x.size - x.size % hop].reshape(-1, hop).max(axis=1)
    if frames.size == 0:
        return np.zeros(0)
    thr = threshold if threshold is not None else 0.1 * float(frames.max())
    loud = frames > thr
    gap = max(1, int(min_gap_s / frame_s))
    out = []
    quiet_run = gap
    for i, is_loud in enumerate(loud):
        if is_loud:
            if quiet_run >= gap:
                start = i * hop
                seg = x[start: start + hop]
                first = int(np.argmax(seg > thr)) if np.any(seg > thr) else 0
                out.append((start + first) / rate_hz)
            quiet_run = 0
        else:
            quiet_run += 1
    return np.asarray(out)


@dataclass(frozen=True)
class Timing:
    """Per-cue onset errors (s, detected minus scheduled, first cue = 0) and misses."""

    errors: np.ndarray
    missing: int

    def summary_ms(self) -> dict[str, float]:
        """median / p95 / max of |error| and drift (last minus first), in milliseconds."""
        if self.errors.size == 0:
            return {"cues": 0, "missing": float(self.missing)}
        mag = np.abs(self.errors) * 1000
        return {"cues": int(self.errors.size), "missing": int(self.missing),
                "median_ms": round(float(np.median(mag)), 2),
                "p95_ms": round(float(np.percentile(mag, 95)), 2),
                "max_ms": round(float(mag.max()), 2),
                "drift_ms": round(float(self.errors[-1] - self.errors[0]) * 1000, 2)}


def align(scheduled_s: list[float], detected_s: np.ndarray, window_s: float = 0.25) -> Timing:
    """Match each scheduled cue to the nearest onset after the best single alignment.

    A cue with no onset within ``window_s`` counts as missing (and gets no error).
    """
    sched = np.asarray(scheduled_s, dtype=np.float64)
    det = np.asarray(detected_s, dtype=np.float64)
    if sched.size == 0 or det.size == 0:
        return Timing(np.zeros(0), int(sched.size))
    best_offset, best_hits = 0.0, -1
    for d in det:
        offset = d - sched[0]
        near = np.abs(det[None, :] - (sched[:, None] + offset)).min(axis=1)
        hits = int((near < 0.05).sum())
        if hits > best_hits:
            best_offset, best_hits = offset, hits
    errors, missing = [], 0
    for s in sched + best_offset:
        k = int(np.argmin(np.abs(det - s)))
        if abs(det[k] - s) <= window_s:
            errors.append(det[k] - s)
        else:
            missing += 1
    out = np.asarray(errors)
    if out.size:
        out = out - out[0]  # align on the first cue
    return Timing(out, missing)

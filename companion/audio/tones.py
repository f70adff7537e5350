"""Breathing cue tones synthesized with numpy: nothing recorded ships with the package.

Soft enough to follow with eyes closed, distinct enough to tell apart without
looking: a rising glide for breathing in, a falling glide for breathing out,
a low short pulse for holding. Every tone has the same short attack, so its
onset is crisp (easy to time, easy to measure) and the rest is gentle.
"""

from __future__ import annotations

import numpy as np

ATTACK_S = 0.012
LEVEL = 0.22  # peak amplitude: clearly audible, never harsh
OCTAVE_PARTIAL = 0.18  # the soft octave above each tone, relative to its fundamental

# name -> (start Hz, end Hz, seconds)
TONES: dict[str, tuple[float, float, float]] = {
    "in": (330.0, 494.0, 0.7),
    "out": (494.0, 294.0, 0.9),
    "hold": (196.0, 196.0, 0.3),
}


def glide(f0_hz: float, f1_hz: float, seconds: float, rate_hz: int,
          level: float = LEVEL) -> np.ndarray:
    """A sine gliding exponentially from ``f0_hz`` to ``f1_hz``, with a soft octave partial."""
    n = max(1, int(round(seconds * rate_hz)))
    t = np.arange(n, dtype=np.float64) / rate_hz
    ratio = f1_hz / f0_hz
    if abs(ratio - 1.0) < 1e-9:
        phase = 2 * np.pi * f0_hz * t
    else:  # integral of f0 * ratio**(t/T)
        k = np.log(ratio) / seconds
        phase = 2 * np.pi * f0_hz * (np.exp(k * t) - 1.0) / k
    wave = np.sin(phase) + OCTAVE_PARTIAL * np.sin(2 * phase)
    return (wave / (1 + OCTAVE_PARTIAL) * envelope(n, rate_hz) * level).astype(np.float32)


def envelope(n: int, rate_hz: int) -> np.ndarray:
    """Short linear attack, then a raised-cosine fade over the rest: no clicks, calm tail."""
    attack = min(n, max(1, int(ATTACK_S * rate_hz)))
    env = np.ones(n, dtype=np.float64)
    env[:attack] = np.linspace(0.0, 1.0, attack, endpoint=False)
    tail = n - attack
    if tail > 0:
        env[attack:] = 0.5 * (1.0 + np.cos(np.linspace(0.0, np.pi, tail)))
    return env


def tone(kind: str, rate_hz: int) -> np.ndarray:
    """The cue for ``kind`` ("in", "out" or "hold") at ``rate_hz``, float32 mono."""
    if kind not in TONES:
        raise ValueError(f"no tone called {kind!r}; choose from {', '.join(TONES)}")
    f0, f1, seconds = TONES[kind]
    if kind == "hold":  # a low pulse: quicker fade so it reads as a tap, not a note
        clip = glide(f0, f1, seconds, rate_hz)
        return (clip * np.linspace(1.0, 0.6, clip.size)).astype(np.float32)
    return glide(f0, f1, seconds, rate_hz)


def all_tones(rate_hz: int) -> dict[str, np.ndarray]:
    """Every tone keyed by its cue name (``tone.in``, ``tone.out``, ``tone.hold``)."""
    return {f"tone.{kind}": tone(kind, rate_hz) for kind in TONES}

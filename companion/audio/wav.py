"""Read a WAV file as the recognizers want it: int16, mono, 16 kHz.

``companion listen --from FILE.wav`` accepts whatever a user recorded (a phone
app's 44.1 kHz stereo, an old 8-bit clip), so conversion happens here and every
failure becomes one :class:`AudioError` with a sox command that fixes it.
Only the stdlib ``wave`` module and numpy are used (PCM only, no compressed WAV).
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from companion.audio.resample import resample
from companion.errors import AudioError

TARGET_HZ = 16_000


def _fix(path: Path) -> str:
    return f"convert it with: sox {path} -r {TARGET_HZ} -c 1 -b 16 out.wav"


def _decode(frames: bytes, width: int) -> np.ndarray:
    """PCM bytes of ``width`` bytes per sample -> float64 in int16 scale."""
    if width == 1:  # 8-bit WAV is unsigned
        return (np.frombuffer(frames, dtype=np.uint8).astype(np.float64) - 128.0) * 256.0
    if width == 2:
        return np.frombuffer(frames, dtype="<i2").astype(np.float64)
    if width == 3:
        raw = np.frombuffer(frames, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        return value.astype(np.float64) / 256.0
    if width == 4:
        return np.frombuffer(frames, dtype="<i4").astype(np.float64) / 65536.0
    raise ValueError(f"{width * 8}-bit samples")


def read_wav(path: str | Path) -> np.ndarray:
    """Samples of ``path`` as int16 mono at 16 kHz; raise AudioError with a fix otherwise."""
    path = Path(path)
    if not path.exists():
        raise AudioError(f"no such audio file: {path}", "check the path (a .wav file is expected)")
    if path.is_dir():
        raise AudioError(f"{path} is a folder, not a WAV file", "give the path of a .wav file")
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            frames = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as err:
        why = str(err) or "it ends before its header does"  # (EOFError: empty or cut short)
        raise AudioError(f"{path} is not a readable PCM WAV file ({why})", _fix(path)) from err
    except OSError as err:
        raise AudioError(f"cannot read {path}: {err.strerror or err}",
                         "check the file's permissions") from err
    if channels < 1 or rate <= 0:
        raise AudioError(f"{path} has a broken header ({channels} channels, {rate} Hz)",
                         _fix(path))
    try:
        data = _decode(frames[: len(frames) - len(frames) % (width * channels)], width)
    except ValueError as err:
        raise AudioError(f"{path} uses unsupported {err}", _fix(path)) from err
    if data.size < channels:
        raise AudioError(f"{path} contains no audio", "record again, or check the file")
    mono = data.reshape(-1, channels).mean(axis=1)
    if rate != TARGET_HZ:
        mono = resample(mono, rate, TARGET_HZ).astype(np.float64)
    return np.clip(np.round(mono), -32768, 32767).astype(np.int16)


def write_wav(path: str | Path, samples: np.ndarray) -> None:
    """Write int16 mono samples at 16 kHz as a WAV (the form ``read_wav`` returns)."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(TARGET_HZ)
        out.writeframes(np.asarray(samples, dtype="<i2").reshape(-1).tobytes())

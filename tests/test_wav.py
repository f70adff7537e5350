"""read_wav turns whatever a user recorded into int16 mono 16 kHz, or says how to fix it."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from companion.audio.wav import read_wav
from companion.errors import AudioError


def write(path: Path, data: bytes, channels: int, width: int, rate: int) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(data)
    return path


def tone(rate: int, seconds: float = 0.5, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * hz * t) * 16000).astype(np.int16)


def test_stereo_44k_is_mixed_down_and_resampled(tmp_path: Path) -> None:
    left = tone(44100)
    stereo = np.stack([left, left], axis=1).reshape(-1)
    out = read_wav(write(tmp_path / "s.wav", stereo.astype("<i2").tobytes(), 2, 2, 44100))
    assert out.dtype == np.int16 and abs(out.size - 8000) <= 2
    assert 14000 < np.abs(out[100:-100]).max() < 17000


def test_8_bit_unsigned(tmp_path: Path) -> None:
    samples = (tone(16000) // 256 + 128).astype(np.uint8)
    out = read_wav(write(tmp_path / "b.wav", samples.tobytes(), 1, 1, 16000))
    assert out.size == 8000 and 14000 < np.abs(out).max() < 17000


def test_32_bit_and_8k(tmp_path: Path) -> None:
    samples = tone(8000).astype(np.int32) * 65536
    out = read_wav(write(tmp_path / "w.wav", samples.astype("<i4").tobytes(), 1, 4, 8000))
    assert abs(out.size - 8000) <= 2


def test_sox_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "sox.wav"
    try:
        subprocess.run(["sox", "-n", "-r", "22050", "-c", "2", "-b", "16", str(path),
                        "synth", "0.3", "sine", "300"], check=True, capture_output=True)
    except FileNotFoundError:
        pytest.skip("sox not installed")
    assert abs(read_wav(path).size - 4800) <= 2


@pytest.mark.parametrize("content", [b"", b"this is not a wav file at all" * 10,
                                     b"RIFF\x00\x00\x00\x00WAVEfmt "])
def test_unreadable_files_raise_audio_error_with_fix(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError) as err:
        read_wav(path)
    assert "sox" in err.value.fix


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="no such audio file"):
        read_wav(tmp_path / "nope.wav")


def test_header_only_wav_is_empty(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="no audio"):
        read_wav(write(tmp_path / "e.wav", b"", 1, 2, 16000))

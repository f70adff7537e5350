"""SpeechOutput through virtual PulseAudio devices: timing, stop, queueing."""

from __future__ import annotations

import ctypes.util
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from companion.audio.output import SpeechOutput
from companion.audio.resample import StreamResampler, resample
from tests.pulse import PulseServer


def tone(rate: int, seconds: float, hz: float = 1000.0, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (level * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def onsets(x: np.ndarray, rate: int, threshold: float = 0.05, gap_s: float = 0.05) -> np.ndarray:
    """Start times (s) of bursts louder than ``threshold`` separated by ``gap_s`` quiet."""
    idx = np.nonzero(np.abs(x) > threshold)[0]
    if idx.size == 0:
        return np.zeros(0)
    starts = [idx[0]] + [b for a, b in zip(idx[:-1], idx[1:], strict=True) if b - a > gap_s * rate]
    return np.array(starts) / rate


def loud_seconds(x: np.ndarray, rate: int, threshold: float = 0.05) -> float:
    return float(np.count_nonzero(np.abs(x) > threshold)) / rate


# -- resampling (no devices) --------------------------------------------------
def dominant_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.argmax(spectrum) * rate / x.size)


@pytest.mark.parametrize(("src", "dst"), [(22050, 48000), (22050, 44100), (48000, 16000)])
def test_resample_keeps_pitch_and_duration(src: int, dst: int) -> None:
    y = resample(tone(src, 1.0, 440), src, dst)
    assert abs(y.size - dst) <= 1
    assert abs(dominant_hz(y, dst) - 440) < 3
    assert 0.3 < float(np.max(np.abs(y[dst // 4: -dst // 4]))) < 0.6


def test_stream_resampler_is_seamless_across_blocks() -> None:
    src = (tone(44100, 1.0, 440) * 20000).astype(np.int16)
    resampler = StreamResampler(44100, 16000)
    out = np.concatenate([resampler.process(src[i:i + 882]) for i in range(0, src.size, 882)])
    assert out.dtype == np.int16
    assert abs(out.size - 16000) <= 2
    assert abs(dominant_hz(out.astype(np.float32), 16000) - 440) < 3
    steady = out[400:-400].astype(np.float64)
    assert np.max(np.abs(np.diff(steady))) < 20000 * 2 * np.pi * 440 / 16000 * 1.2


# -- through the virtual speaker ---------------------------------------------
@pytest.fixture
def speaker(pulse: PulseServer) -> Iterator[SpeechOutput]:
    out = SpeechOutput()
    out.start()
    time.sleep(0.2)
    yield out
    out.close()



@pytest.mark.audio
def test_tones_land_on_schedule(pulse: PulseServer, speaker: SpeechOutput,
                                tmp_path: Path) -> None:
    rate = speaker.sample_rate
    rec = pulse.record_speaker(tmp_path / "out.raw")
    time.sleep(0.2)
    t0 = speaker.now_s() + 0.2
    started: list[tuple[str, float]] = []
    speaker.play(np.full(int(rate * 0.003), 0.9, np.float32), t0, tag="ref")
    schedule = [0.25, 0.6, 0.97, 1.333]
    for offset in schedule:
        speaker.play(tone(rate, 0.04), t0 + offset, tag=f"t{offset}",
                     on_start=lambda s, o=offset: started.append((f"t{o}", s)))
    time.sleep(t0 + 1.333 + 0.4 - speaker.now_s())
    recorded = rec.samples().astype(np.float32) / 32768
    found = onsets(recorded, rec.rate)
    assert found.size == len(schedule) + 1, found
    errors_ms = (found[1:] - found[0] - np.array(schedule)) * 1000
    assert np.all(np.abs(errors_ms) < 20), errors_ms
    assert [round(s - t0, 3) for _, s in started] == pytest.approx(schedule, abs=0.001)
    assert speaker.underflows == 0


@pytest.mark.audio
def test_stop_speech_cuts_playback_but_keeps_uninterruptible(
        pulse: PulseServer, speaker: SpeechOutput, tmp_path: Path) -> None:
    rate = speaker.sample_rate
    done: list[str] = []
    rec = pulse.record_speaker(tmp_path / "out.raw")
    time.sleep(0.2)
    speaker.play(tone(rate, 2.0), tag="prompt", on_done=lambda s: done.append("prompt"))
    speaker.play(tone(rate, 1.0), tag="queued", on_done=lambda s: done.append("queued"))
    safety_at = speaker.now_s() + 0.9
    speaker.play(tone(rate, 0.3, hz=600), safety_at, tag="safety", interruptible=False,
                 on_done=lambda s: done.append("safety"))
    time.sleep(0.5)
    cut_at = time.monotonic()
    speaker.stop_speech()
    assert speaker.busy_until_s() == pytest.approx(safety_at + 0.3, abs=0.01)
    time.sleep(1.2)
    recorded = rec.samples().astype(np.float32) / 32768
    assert done == ["safety"]
    # ~0.5 s of prompt + the 0.3 s safety clip; not the 3 s that were queued
    assert 0.5 < loud_seconds(recorded, rec.rate) < 1.1
    assert time.monotonic() - cut_at > 1.0


@pytest.mark.audio
def test_queued_speech_plays_back_to_back(speaker: SpeechOutput) -> None:
    rate = speaker.sample_rate
    times: dict[str, float] = {}
    finished = threading.Event()
    speaker.play(tone(rate, 0.2), tag="a", on_done=lambda s: times.__setitem__("a_end", s))
    speaker.play(tone(rate, 0.2), tag="b", on_start=lambda s: times.__setitem__("b_start", s),
                 on_done=lambda s: finished.set())
    assert speaker.busy_until_s() >= speaker.now_s() + 0.35
    assert finished.wait(2.0)
    assert times["b_start"] - times["a_end"] == pytest.approx(1 / rate, abs=1e-6)


@pytest.mark.audio
def test_an_idle_stream_sleeps_and_wakes_for_the_next_clip_with_its_clock_running(
        pulse: PulseServer, tmp_path: Path) -> None:
    out = SpeechOutput(latency_s=0.03, block_s=0.01, idle_sleep_s=0.3)
    out.start()
    try:
        rate = out.sample_rate
        rec = pulse.record_speaker(tmp_path / "out.raw")
        time.sleep(0.2)  # the recorder's own start (without it, CI missed the first tone's start)
        done = threading.Event()
        out.play(tone(rate, 0.1), tag="first", on_done=lambda s: done.set())
        assert done.wait(2.0)
        deadline = time.monotonic() + 2.0
        while not out.asleep and time.monotonic() < deadline:
            time.sleep(0.05)
        assert out.asleep, "nothing to play for 0.3 s: the stream should have stopped"
        before = out.now_s()
        time.sleep(0.5)
        assert out.now_s() - before == pytest.approx(0.5, abs=0.05), "the clock stopped"
        played_at = time.monotonic()
        starts: list[float] = []
        finished = threading.Event()
        out.play(tone(rate, 0.2), tag="second", on_start=lambda s: starts.append(time.monotonic()),
                 on_done=lambda s: finished.set())
        assert not out.asleep
        assert finished.wait(2.0)
        assert starts and starts[0] - played_at < 0.1, "a woken stream must not hold speech back"
        time.sleep(0.3)
        recorded = rec.samples().astype(np.float32) / 32768
        found = onsets(recorded, rec.rate)
        assert found.size == 2, found
        # the clip that woke the stream, whole: nothing swallowed at the wake (its span:
        # how many samples of a tone pass a threshold depends on where they fall on it)
        loud = np.nonzero(np.abs(recorded[int(found[1] * rec.rate):]) > 0.05)[0]
        assert (loud[-1] - loud[0] + 1) / rec.rate == pytest.approx(0.2, abs=0.005)
    finally:
        out.close()


OPEN_MISSING_PCM = (
    "import ctypes, ctypes.util\n"
    "lib = ctypes.CDLL(ctypes.util.find_library('asound'))\n"
    "QUIET\n"
    "pcm = ctypes.c_void_p()\n"
    "assert lib.snd_pcm_open(ctypes.byref(pcm), b'no_such_device', 0, 0) < 0\n"
)


@pytest.mark.skipif(ctypes.util.find_library("asound") is None, reason="no alsa-lib")
def test_alsa_lib_notices_stay_off_the_screen() -> None:
    """alsa-lib prints underruns and the like to the terminal unless told otherwise."""
    def stderr_of(quiet: str) -> str:
        return subprocess.run([sys.executable, "-c", OPEN_MISSING_PCM.replace("QUIET", quiet)],
                              capture_output=True, text=True, check=True, timeout=30).stderr

    assert "ALSA lib" in stderr_of("pass")  # what a user would see
    assert stderr_of("import companion.audio.devices as d; d.import_sounddevice()") == ""


@pytest.mark.audio
def test_the_speaker_says_a_prompt_again_without_converting_it_again(
        pulse: PulseServer, companion_home: Path) -> None:
    from companion.audio.speaker import AudioSpeaker

    speaker = AudioSpeaker()
    renders: list[str] = []
    render = speaker.renderer.render
    speaker.renderer.render = lambda text, rate_wpm=None: (  # type: ignore[method-assign]
        renders.append(text) or render(text, rate_wpm))
    try:
        for _ in range(2):
            done = threading.Event()
            speaker.speak("p", "Say that again.", True, lambda _id, d=done: d.set())
            assert done.wait(10.0)
        assert renders == ["Say that again."]
    finally:
        speaker.close()


@pytest.mark.audio
def test_a_speaker_that_cannot_wake_says_so_and_lets_the_session_go_on(
        pulse: PulseServer, companion_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sounddevice as sd

    from companion.audio import speaker as speaker_module

    monkeypatch.setattr(speaker_module, "IDLE_SLEEP_S", 0.2)
    speaker = speaker_module.AudioSpeaker()
    try:
        deadline = time.monotonic() + 3.0
        while not speaker.output.asleep and time.monotonic() < deadline:
            time.sleep(0.05)
        assert speaker.output.asleep

        def gone() -> None:
            raise sd.PortAudioError("Device unavailable")

        monkeypatch.setattr(speaker.output._stream, "start", gone)
        done = threading.Event()
        speaker.speak("p", "Still here.", True, lambda _id: done.set())
        assert done.wait(10.0), "a prompt that cannot play must not hold the session"
        assert speaker.output.asleep and not speaker.busy()
    finally:
        speaker.close()

"""SpeechRenderer: real espeak-ng renders, the disk cache, voices, engine errors."""

from __future__ import annotations

import builtins
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from companion import tts
from companion.errors import EngineError
from companion.tts import SpeechRenderer

TEXT = "Notice five things you can see around you, and take your time."

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng not installed (apt install espeak-ng)")


@needs_espeak
@pytest.mark.parametrize("engine", ["espeak-ng", "pyttsx3"])
def test_renders_real_speech_once_then_from_cache(engine: str, tmp_path: Path,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    renderer = SpeechRenderer(engine=engine, cache_dir=tmp_path, rate_wpm=145)
    began = time.perf_counter()
    samples, rate = renderer.render(TEXT)
    first_s = time.perf_counter() - began
    assert rate == 22050 and samples.dtype == np.float32
    seconds = samples.size / rate
    assert 2.5 < seconds < 7.0  # 12 words at 145 wpm is ~5 s
    assert float(np.sqrt(np.mean(samples ** 2))) > 0.02
    began = time.perf_counter()
    again, _ = renderer.render(TEXT)
    cached_s = time.perf_counter() - began
    assert np.array_equal(again, samples)
    assert cached_s < 0.02 and cached_s < first_s
    assert len(list(tmp_path.glob("*.wav"))) == 1
    if engine == "espeak-ng":  # pyttsx3 2.99 may keep its first rate (see companion/tts.py)
        slower, _ = renderer.render(TEXT, rate_wpm=110)
        assert slower.size > samples.size * 1.15
    renderer.close()
    assert "Audio saved" not in capfd.readouterr().out


@needs_espeak
def test_prerender_fills_the_cache_in_the_background(tmp_path: Path) -> None:
    renderer = SpeechRenderer(cache_dir=tmp_path)
    texts = ["Breathe in.", "Hold.", "Breathe out slowly."]
    renderer.prerender(texts)
    deadline = time.monotonic() + 5
    while not all(renderer.cache_path(t).exists() for t in texts):
        assert time.monotonic() < deadline
        time.sleep(0.02)


@needs_espeak
def test_voices(tmp_path: Path) -> None:
    renderer = SpeechRenderer(cache_dir=tmp_path)
    ids = {v["id"] for v in renderer.list_voices()}
    assert "en-us" in ids
    assert SpeechRenderer(voice="en-us", cache_dir=tmp_path).render("Hello.")[0].size > 0
    with pytest.raises(EngineError) as info:
        SpeechRenderer(voice="klingon-deep", cache_dir=tmp_path)
    assert "companion devices" in info.value.fix


def test_missing_espeak_says_how_to_install(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    monkeypatch.setattr(tts.shutil, "which", lambda name: None)
    real_import = builtins.__import__

    def no_pyttsx3(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pyttsx3":
            raise ImportError("No module named 'pyttsx3'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyttsx3)
    with pytest.raises(EngineError) as info:
        SpeechRenderer(cache_dir=tmp_path)
    assert "apt install espeak-ng" in info.value.fix
    with pytest.raises(EngineError):
        SpeechRenderer(engine="espeak-ng", cache_dir=tmp_path)


def test_cache_defaults_to_the_companion_cache_folder(companion_home: Path) -> None:
    renderer = SpeechRenderer()
    assert renderer.cache_path("hi").is_relative_to(companion_home)


@needs_espeak
def test_renders_start_on_the_first_sound_and_stop_soon_after_the_last(tmp_path: Path) -> None:
    """The engine's own lead-in (~60 ms) and tail (~0.4 s) would delay a reply and keep
    the companion deaf after it (half-duplex); the file on disk keeps them."""
    renderer = SpeechRenderer(engine="espeak-ng", cache_dir=tmp_path, rate_wpm=145)
    text = "Paused. Say resume when you're ready."
    samples, rate = renderer.render(text)
    raw, _ = tts._read_wav(renderer.cache_path(text))
    loud = np.flatnonzero(np.abs(samples) > tts.QUIET)
    assert loud[0] <= tts.LEAD_S * rate + 1
    assert samples.size - loud[-1] <= tts.TAIL_S * rate + 1
    assert raw.size - samples.size > 0.3 * rate  # espeak-ng's silence really was cut
    silent = np.zeros(1000, np.float32)
    assert tts.trim_silence(silent, rate)[0].size == silent.size  # nothing to cut by


@needs_espeak
def test_a_prompt_needed_now_does_not_wait_for_the_prerender(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The prerender is held inside its first render (injected) until the prompt needed
    now has been rendered for real: a render that queued behind the prerender would
    never finish."""
    renderer = SpeechRenderer(engine="espeak-ng", cache_dir=tmp_path, rate_wpm=145)
    later = [f"{TEXT} This is prompt number {n} of the session." for n in range(3)]
    inside, release = threading.Event(), threading.Event()
    cli_render = SpeechRenderer._cli_render

    def held(self: SpeechRenderer, out: Path, text: str, rate: int) -> None:
        if text in later:
            inside.set()
            release.wait(10)
        cli_render(self, out, text, rate)

    monkeypatch.setattr(SpeechRenderer, "_cli_render", held)
    renderer.prerender(later)
    assert inside.wait(10)
    now: list[np.ndarray] = []
    worker = threading.Thread(target=lambda: now.append(renderer.render("Stay with me.")[0]))
    worker.start()
    worker.join(5)
    done_first = bool(now) and not any(renderer.cache_path(t).exists() for t in later)
    release.set()
    worker.join(10)
    assert done_first, "the prompt needed now waited for the prerender"
    assert now[0].size

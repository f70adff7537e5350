"""Text-to-speech rendered once per prompt into a disk cache, never played directly.

Each distinct (text, voice, rate, engine) is rendered to a WAV once and kept in
``paths.cache_dir()/speech``; the audio shell plays the samples through its own
output stream, so the session knows exactly when speech starts and ends.

Two renderers of the same espeak-ng voices:

* ``espeak-ng`` (default when the program exists): the CLI writes the WAV in a
  subprocess that a timeout can kill. Measured here: ~12-25 ms per prompt,
  nothing in-process that can hang, no stdout noise.
* ``pyttsx3`` (the declared engine, selectable): ``save_to_file`` +
  ``runAndWait`` on one engine owned by one worker thread (pyttsx3 is not
  thread-safe). Just as fast when it works, but measured faults in 2.99:
  ``runAndWait`` may return before the WAV exists (we wait for its completed
  ``finished-utterance``), and a rate change after the first render is
  sometimes ignored. Each render has a timeout after which the CLI takes over.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import wave
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from companion import paths
from companion.core.flow import DEFAULT_RATE_WPM
from companion.errors import EngineError

log = logging.getLogger(__name__)

RENDER_TIMEOUT_S = 10.0
ESPEAK_FIX = "install the speech engine: sudo apt install espeak-ng"
VOICE_FIX = "see the installed voices with `companion devices` or `companion doctor`"
ENGINES = ("auto", "espeak-ng", "pyttsx3")
QUIET = 0.01  # amplitude (of 1.0) below which a render's ends count as silence
LEAD_S = 0.002  # kept before the first sound: a word starts when it is due
TAIL_S = 0.03  # kept after the last sound: the voice's own fade


def trim_silence(samples: np.ndarray, rate: int) -> tuple[np.ndarray, int]:
    """Cut the silence a speech engine leaves around the words.

    espeak-ng leaves up to ~60 ms before a prompt (a reply heard late, a breathing
    cue off the beat) and ~0.4 s after it, during which the companion would still
    not be listening (half-duplex).
    """
    loud = np.flatnonzero(np.abs(samples) > QUIET)
    if loud.size == 0:
        return samples, rate
    start = max(0, int(loud[0]) - int(LEAD_S * rate))
    end = min(samples.size, int(loud[-1]) + 1 + int(TAIL_S * rate))
    return np.ascontiguousarray(samples[start:end]), rate


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Read a 16-bit mono/stereo WAV as float32 mono (our own renders only)."""
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        channels = wav.getnchannels()
        if wav.getsampwidth() != 2:
            raise EngineError(f"unexpected {wav.getsampwidth() * 8}-bit speech file {path}",
                              "delete the speech cache folder and try again")
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return (data.astype(np.float32) / 32768.0), rate


class SpeechRenderer:
    """Render prompts to float32 samples with a disk cache and background prerendering."""

    def __init__(self, voice: str | None = None, rate_wpm: int = DEFAULT_RATE_WPM,
                 cache_dir: Path | None = None, engine: str = "auto",
                 timeout_s: float = RENDER_TIMEOUT_S) -> None:
        if engine not in ENGINES:
            raise EngineError(f"unknown speech engine {engine!r}",
                              f"choose one of: {', '.join(ENGINES)}")
        self._cli = shutil.which("espeak-ng")
        self.engine = self._choose_engine(engine)
        self.rate_wpm = rate_wpm
        self.timeout_s = timeout_s
        self._cache = cache_dir if cache_dir is not None else paths.cache_dir() / "speech"
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="tts")
        self._pyttsx3: Any = None  # owned by the pool's single thread
        # One lock per file, not one for all: a prompt needed now must not wait behind
        # the background prerender of later ones (measured: the first prompt of a
        # session played ~0.13 s late, after five renders it did not need).
        self._render_locks: dict[Path, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self.voice = self._check_voice(voice) if voice else None

    # -- engine and voices -------------------------------------------------
    def _choose_engine(self, engine: str) -> str:
        if engine in ("auto", "espeak-ng") and self._cli:
            return "espeak-ng"
        if engine == "espeak-ng":
            raise EngineError("the espeak-ng program is not installed", ESPEAK_FIX)
        try:
            import pyttsx3  # noqa: F401
        except ImportError as exc:
            raise EngineError(f"no speech engine: espeak-ng is missing and pyttsx3 failed "
                              f"to import ({exc})", ESPEAK_FIX) from exc
        return "pyttsx3"

    def list_voices(self) -> list[dict[str, str]]:
        """Installed voices: ``id`` (pass to --voice), ``name``, ``language``."""
        if self._cli:
            return self._cli_voices()
        return self._pool.submit(self._pyttsx3_voices).result(timeout=self.timeout_s)

    def _cli_voices(self) -> list[dict[str, str]]:
        try:
            out = subprocess.run([self._cli or "espeak-ng", "--voices"], capture_output=True,
                                 text=True, timeout=self.timeout_s, check=True).stdout
        except (OSError, subprocess.SubprocessError) as exc:
            raise EngineError(f"espeak-ng could not list voices: {exc}", ESPEAK_FIX) from exc
        voices = []
        for line in out.splitlines()[1:]:
            cols = line.split()
            if len(cols) >= 5:
                voices.append({"id": cols[1], "name": cols[3].replace("_", " "),
                               "language": cols[1], "file": cols[4]})
        return voices

    def _pyttsx3_voices(self) -> list[dict[str, str]]:
        engine = self._engine()
        voices = []
        for v in engine.getProperty("voices"):
            langs = [str(x) for x in (v.languages or [])]
            voices.append({"id": str(v.id), "name": str(v.name),
                           "language": langs[0] if langs else "", "file": str(v.id)})
        return voices

    def _check_voice(self, voice: str) -> str:
        """Accept a language code, file id or name (plus an espeak ``+variant``)."""
        base = voice.split("+", 1)[0].lower()
        for v in self.list_voices():
            if base in (v["id"].lower(), v["file"].lower(), v["name"].lower()):
                return voice if self.engine == "espeak-ng" else v["file"]
        raise EngineError(f"unknown voice {voice!r}", VOICE_FIX)

    # -- rendering -----------------------------------------------------------
    def cache_path(self, text: str, rate_wpm: int | None = None) -> Path:
        """Where the render of ``text`` at this voice/rate/engine lives."""
        rate = rate_wpm or self.rate_wpm
        key = "\x1f".join([self.engine, self.voice or "", str(rate), text])
        return self._cache / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.wav"

    def render(self, text: str, rate_wpm: int | None = None) -> tuple[np.ndarray, int]:
        """Samples (float32 mono) and sample rate for ``text``; cached renders return fast."""
        path = self.cache_path(text, rate_wpm)
        if not path.exists():
            with self._lock_for(path):
                if not path.exists():
                    self._render_to(path, text, rate_wpm or self.rate_wpm)
        return trim_silence(*_read_wav(path))

    def _lock_for(self, path: Path) -> threading.Lock:
        with self._locks_guard:
            return self._render_locks.setdefault(path, threading.Lock())

    def prerender(self, texts: Iterable[str], rate_wpm: int | None = None) -> None:
        """Render ``texts`` in the background so the next prompt is ready when needed."""
        todo = [t for t in texts if not self.cache_path(t, rate_wpm).exists()]
        if todo:
            thread = threading.Thread(target=self._prerender, args=(todo, rate_wpm),
                                      name="tts-prerender", daemon=True)
            thread.start()

    def _prerender(self, texts: list[str], rate_wpm: int | None) -> None:
        for text in texts:
            try:
                self.render(text, rate_wpm)
            except EngineError as exc:
                log.warning("prerendering %r failed: %s", text[:40], exc)

    def close(self) -> None:
        """Stop the pyttsx3 worker (if any)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _render_to(self, path: Path, text: str, rate: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp_name = tempfile.mkstemp(suffix=".wav", dir=path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            if self.engine == "pyttsx3":
                future = self._pool.submit(self._pyttsx3_render, tmp, text, rate)
                try:
                    future.result(timeout=self.timeout_s)
                except concurrent.futures.TimeoutError:
                    if not self._cli:
                        raise EngineError(f"pyttsx3 hung for {self.timeout_s:.0f} s while "
                                          "rendering speech", ESPEAK_FIX) from None
                    log.warning("pyttsx3 hung; rendering with the espeak-ng program from now on")
                    self.engine = "espeak-ng"
                    self._cli_render(tmp, text, rate)
            else:
                self._cli_render(tmp, text, rate)
            if tmp.stat().st_size <= 44:
                raise EngineError(f"the speech engine produced no audio for {text[:40]!r}",
                                  ESPEAK_FIX)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def _cli_render(self, out: Path, text: str, rate: int) -> None:
        cmd = [self._cli or "espeak-ng", "-s", str(rate), "-w", str(out)]
        if self.voice:
            cmd += ["-v", self.voice]
        try:
            subprocess.run([*cmd, "--", text], capture_output=True, timeout=self.timeout_s,
                           check=True)
        except subprocess.TimeoutExpired as exc:
            raise EngineError(f"espeak-ng took over {self.timeout_s:.0f} s", ESPEAK_FIX) from exc
        except subprocess.CalledProcessError as exc:
            err = exc.stderr.decode(errors="replace").strip()
            raise EngineError(f"espeak-ng failed: {err}", VOICE_FIX) from exc
        except OSError as exc:
            raise EngineError(f"cannot run espeak-ng: {exc}", ESPEAK_FIX) from exc

    # -- pyttsx3 (runs only on the pool's single thread) ---------------------
    def _engine(self) -> Any:
        if self._pyttsx3 is None:
            try:
                import pyttsx3

                self._pyttsx3 = pyttsx3.init("espeak")
            except (ImportError, RuntimeError, OSError) as exc:
                raise EngineError(f"pyttsx3 cannot start espeak: {exc}", ESPEAK_FIX) from exc
            driver = sys.modules.get("pyttsx3.drivers.espeak")
            if driver is not None:  # 2.99 prints "Audio saved to ..." after every file
                driver.print = lambda *args, **kwargs: None  # type: ignore[attr-defined]
        return self._pyttsx3

    def _pyttsx3_render(self, out: Path, text: str, rate: int) -> None:
        """Render with pyttsx3, waiting for its own "finished" notice.

        2.99's espeak driver synthesises asynchronously: ``runAndWait`` can
        return before the WAV is written (seen here: empty files), so the file
        only counts once a completed ``finished-utterance`` has fired.
        """
        engine = self._engine()
        finished = threading.Event()

        def on_finished(completed: bool = True, **_: Any) -> None:
            if completed:
                finished.set()

        # Engine.setProperty goes through a command queue that 2.99 drops after
        # the first runAndWait (later rates were ignored); the driver applies at once.
        target = getattr(getattr(engine, "proxy", None), "_driver", None) or engine
        token = engine.connect("finished-utterance", on_finished)
        try:
            if self.voice:
                target.setProperty("voice", self.voice)
            target.setProperty("rate", rate)
            engine.save_to_file(text, str(out))
            engine.runAndWait()
            if not finished.wait(self.timeout_s):
                raise EngineError("pyttsx3 never finished rendering", ESPEAK_FIX)
        finally:
            engine.disconnect(token)

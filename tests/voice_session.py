"""Drive the real `companion` CLI by voice through PulseAudio virtual devices.

The companion runs as a subprocess with the virtual microphone and speaker
as its defaults; the test plays spoken commands into the microphone and
records what the companion says from the speaker's monitor.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from tests.pulse import PulseServer, Recording


class VoiceSession:
    """`companion ARGS` wired to the virtual devices, with its screen read line by line."""

    def __init__(self, pulse: PulseServer, home: Path, *args: str, record: Path | None = None):
        self.pulse = pulse
        self.lines: list[str] = []
        self._new: queue.Queue[str] = queue.Queue()
        self.recording: Recording | None = pulse.record_speaker(record) if record else None
        env = {**os.environ, **pulse.env, "COMPANION_HOME": str(home), "COMPANION_DEBUG": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "companion", *args], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True, bufsize=1,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._seen = 0

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._new.put(line.rstrip("\n"))

    def expect(self, text: str, timeout_s: float = 30.0) -> str:
        """Wait for a screen line containing ``text`` after the last one matched."""
        deadline = time.monotonic() + timeout_s
        while True:
            while self._seen < len(self.lines):
                line = self.lines[self._seen]
                self._seen += 1
                if text in line:
                    return line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"never saw {text!r}; screen:\n" + "\n".join(self.lines))
            try:
                self.lines.append(self._new.get(timeout=min(remaining, 0.2)))
            except queue.Empty:
                if self.proc.poll() is not None and self._new.empty():
                    raise AssertionError(
                        f"exited ({self.proc.returncode}) before {text!r}; screen:\n"
                        + "\n".join(self.lines)) from None

    def saw(self, text: str) -> bool:
        """Whether any screen line so far (including unread ones) contains ``text``."""
        while not self._new.empty():
            self.lines.append(self._new.get())
        return any(text in line for line in self.lines)

    def wait_listening(self, settle_s: float = 0.6, timeout_s: float = 30.0) -> None:
        """Wait until the companion listens again (after its guard time)."""
        self.expect("(listening)", timeout_s)
        time.sleep(settle_s)

    def say(self, wav: Path) -> None:
        """Speak ``wav`` into the virtual microphone (blocks until played)."""
        self.pulse.play_into_mic(wav, wait=True)

    def type(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def finish(self, timeout_s: float = 30.0) -> int:
        try:
            code = self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            screen = "\n".join(self.lines)
            raise AssertionError(f"companion did not end; screen:\n{screen}") from None
        self._reader.join(timeout=2)
        while not self._new.empty():
            self.lines.append(self._new.get())
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.recording is not None:
            self.recording.stop()


def find_in_order(recording: np.ndarray, clips: list[np.ndarray], rate: int = 16000,
                  threshold: float = 0.6) -> list[float]:
    """Locate each clip in ``recording`` in order by normalized cross-correlation.

    Returns the start time in seconds of each clip; raises if one is missing
    (peak correlation below ``threshold``) or out of order.
    """
    signal = recording.astype(np.float64)
    starts: list[float] = []
    offset = 0
    for index, clip in enumerate(clips):
        c = clip.astype(np.float64)
        c = (c - c.mean()) / (np.linalg.norm(c) or 1.0)
        window = signal[offset:]
        if window.size < c.size:
            raise AssertionError(f"clip {index} not heard: recording too short")
        size = 1 << int(np.ceil(np.log2(window.size + c.size)))
        corr = np.fft.irfft(np.fft.rfft(window, size) * np.conj(np.fft.rfft(c, size)), size)
        corr = corr[: window.size - c.size + 1]
        power = np.concatenate([[0.0], np.cumsum(window ** 2)])
        energy = np.sqrt(np.maximum(power[c.size:] - power[: -c.size], 0.0))
        score = corr / np.maximum(energy, 1e-9)
        above = np.flatnonzero(score >= threshold)
        if above.size == 0:
            raise AssertionError(f"clip {index} not heard (best match {score.max():.2f})")
        first = int(above[0])  # the earliest occurrence, refined to its local peak
        best = first + int(np.argmax(score[first : first + c.size]))
        starts.append((offset + best) / rate)
        offset += best + c.size
    return starts

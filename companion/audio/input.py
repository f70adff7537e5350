"""Microphone input: one callback stream, a queue of 16 kHz int16 blocks, a watchdog.

The PortAudio callback only copies the block onto a bounded queue (dropping
and counting when the reader falls behind: a stalled blocking reader would
lose audio silently). Conversion to 16 kHz happens in :meth:`MicInput.read`.

A watchdog thread reports a lost microphone and brings it back:

* no callback for ``stall_s`` (2 s), or the stream stopped / PortAudio error;
* PulseAudio never errors when a source disappears: it silently moves the
  stream to the fallback source (with test devices: ``speaker.monitor``,
  i.e. the companion would hear itself) and moves it back when the source
  returns. So when the stream goes through PulseAudio, the watchdog also
  checks with ``pactl`` that the source it started on is still there, each
  time ``pactl subscribe`` reports a change to sources or the server. Polling
  every 0.5 s is the fallback when subscribing fails: its ``pactl`` runs cost
  ~1% of a core (docs/decisions/007).

After a loss it retries every ``retry_s`` and calls ``on_back`` once a
reopened stream delivers audio again.
"""

from __future__ import annotations

import ctypes
import logging
import queue
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from companion.audio.devices import DEVICE_FIX, import_sounddevice
from companion.audio.resample import StreamResampler
from companion.errors import AudioError

log = logging.getLogger(__name__)

RATE_HZ = 16000
BLOCK_S = 0.02
# PortAudio's input buffer. Blocks still arrive every BLOCK_S; the depth rides out the
# decoder holding the interpreter (it does not release the GIL) without losing audio.
LATENCY_S = 0.1


def _ending_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel end the child when the companion ends (Linux).

    prctl is looked up here, in the parent: the child, forked from a process with
    threads, only makes the one call.
    """
    try:
        prctl = ctypes.CDLL(None).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class PulseProbe:
    """Watch the PulseAudio source a stream was opened on, through ``pactl``."""

    def __init__(self) -> None:
        self.source: str | None = None
        self._events: subprocess.Popen[str] | None = None
        self._changed = threading.Event()  # a source or the server changed since the last look
        self._changed.set()

    def subscribe(self) -> None:
        """Follow PulseAudio's events so :meth:`changed` is true only after a relevant one."""
        try:
            self._events = subprocess.Popen(["pactl", "subscribe"], stdout=subprocess.PIPE,
                                            stderr=subprocess.DEVNULL, text=True,
                                            preexec_fn=_ending_with_parent())
        except OSError:
            return
        threading.Thread(target=self._follow, args=(self._events,), name="pulse-events",
                         daemon=True).start()

    def _follow(self, events: subprocess.Popen[str]) -> None:
        assert events.stdout is not None
        for line in events.stdout:  # "Event 'remove' on source #3", "... on server"
            if " source " in line or line.rstrip().endswith(" server"):
                self._changed.set()
        self._events = None  # (ended: PulseAudio went away) every look is needed again
        self._changed.set()

    def changed(self) -> bool:
        """True (once) after a source or server event, and always without a subscription."""
        if self._events is None:
            return True
        if self._changed.is_set():
            self._changed.clear()
            return True
        return False

    def close(self) -> None:
        events, self._events = self._events, None
        if events is not None:
            events.terminate()
            events.wait(timeout=2)

    @staticmethod
    def _pactl(*args: str) -> str | None:
        try:
            done = subprocess.run(["pactl", *args], capture_output=True, text=True,
                                  timeout=1.5, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    def attach(self) -> bool:
        """Remember the current default source; False when PulseAudio is not reachable."""
        if shutil.which("pactl") is None:
            return False
        self.source = self._pactl("get-default-source") or None
        return self.source is not None

    def sources(self) -> list[str] | None:
        out = self._pactl("list", "short", "sources")
        if out is None:
            return None
        return [line.split("\t")[1] for line in out.splitlines() if "\t" in line]

    def lost_reason(self) -> str | None:
        """Why the remembered source is unusable now, or None while it is present."""
        names = self.sources()
        if names is None or self.source is None or self.source in names:
            return None
        fallback = self._pactl("get-default-source") or "nothing"
        return (f"microphone {self.source!r} disappeared (PulseAudio moved the stream to "
                f"{fallback!r})")

    def usable_again(self) -> bool:
        """True when the old source is back, or a real (non-monitor) default exists."""
        names = self.sources()
        if names is None:
            return True  # PulseAudio itself is gone: let the reopen attempt decide
        if self.source in names:
            return True
        default = self._pactl("get-default-source")
        if default and default in names and not default.endswith(".monitor"):
            self.source = default
            return True
        return False


class MicInput:
    """16 kHz mono int16 microphone blocks with loss detection and recovery.

    ``on_lost(reason)`` and ``on_back()`` are called from the watchdog thread.
    """

    def __init__(self, device: int | str | None = None,
                 on_lost: Callable[[str], None] | None = None,
                 on_back: Callable[[], None] | None = None, block_s: float = BLOCK_S,
                 max_queued_s: float = 10.0, stall_s: float = 2.0, retry_s: float = 0.75,
                 probe_s: float = 0.5, pulse_probe: bool = True) -> None:
        self.device = device
        self.on_lost = on_lost
        self.on_back = on_back
        self.block_s = block_s
        self.stall_s = stall_s
        self.retry_s = retry_s
        self.probe_s = probe_s
        self._want_probe = pulse_probe and device in (None, "default", "pulse")
        self._probe: PulseProbe | None = None
        self._queue: queue.Queue[np.ndarray] = queue.Queue(
            maxsize=max(1, int(max_queued_s / block_s)))
        self._stream: Any = None
        self._resampler: StreamResampler | None = None
        self.device_rate = RATE_HZ
        self._last_data = 0.0
        self._stream_error: str | None = None
        self._stopping = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._stream_lock = threading.Lock()  # open/close only; never taken by the callback
        self.lost = False
        self.dropped_blocks = 0
        self.overflows = 0

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        """Open the stream (raises AudioError) and start the watchdog."""
        self._open()
        if self._want_probe:
            probe = PulseProbe()
            if probe.attach():
                probe.subscribe()
                self._probe = probe
        self._stopping.clear()
        self._watchdog = threading.Thread(target=self._watch, name="mic-watchdog", daemon=True)
        self._watchdog.start()

    def close(self) -> None:
        """Stop the watchdog and the stream."""
        self._stopping.set()
        if self._watchdog is not None:
            self._watchdog.join(timeout=3)
            self._watchdog = None
        if self._probe is not None:
            self._probe.close()
        self._close_stream()

    def __enter__(self) -> MicInput:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> None:
        sd = import_sounddevice()
        errors = []
        rates = [RATE_HZ]
        try:
            default_rate = int(sd.query_devices(self.device, kind="input")["default_samplerate"])
        except (sd.PortAudioError, ValueError) as exc:
            raise AudioError(f"no usable microphone: {exc}", DEVICE_FIX) from exc
        if default_rate != RATE_HZ:
            rates.append(default_rate)
        for rate in rates:
            try:
                stream = sd.InputStream(
                    device=self.device, samplerate=rate, channels=1, dtype="int16",
                    blocksize=max(1, int(round(rate * self.block_s))), latency=LATENCY_S,
                    callback=self._callback, finished_callback=self._finished,
                )
                self._stream_error = None
                self._last_data = time.monotonic()
                stream.start()
            except (sd.PortAudioError, ValueError) as exc:
                errors.append(f"{rate} Hz: {exc}")
                continue
            with self._stream_lock:
                self._stream = stream
            self.device_rate = rate
            self._resampler = None if rate == RATE_HZ else StreamResampler(rate, RATE_HZ)
            return
        raise AudioError("cannot open the microphone: " + "; ".join(errors), DEVICE_FIX)

    def _close_stream(self) -> None:
        with self._stream_lock:
            stream, self._stream = self._stream, None
        if stream is None:
            return
        sd = import_sounddevice()
        try:
            stream.abort()
            stream.close()
        except sd.PortAudioError as exc:
            log.debug("closing the input stream failed: %s", exc)

    # -- real-time side ----------------------------------------------------
    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        """Copy the block onto the queue; never block."""
        self._last_data = time.monotonic()
        if status.input_overflow:
            self.overflows += 1
        try:
            self._queue.put_nowait(indata[:, 0].copy())
        except queue.Full:
            self.dropped_blocks += 1

    def _finished(self) -> None:
        if not self._stopping.is_set():
            self._stream_error = "the microphone stream stopped"

    # -- reader side -------------------------------------------------------
    def read(self, timeout_s: float | None = None) -> np.ndarray | None:
        """Next block as 16 kHz int16, or None when nothing came within ``timeout_s``."""
        try:
            block = self._queue.get(timeout=timeout_s)
        except queue.Empty:
            return None
        resampler = self._resampler
        if resampler is not None and resampler.from_hz == self.device_rate:
            return resampler.process(block)
        return block

    def drain(self) -> int:
        """Drop everything queued (after the companion spoke); returns blocks dropped."""
        dropped = 0
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
            dropped += 1
        if self._resampler is not None:
            self._resampler.reset()
        return dropped

    # -- watchdog ----------------------------------------------------------
    def _problem(self) -> str | None:
        stream = self._stream
        if self._stream_error:
            return self._stream_error
        if stream is None or not stream.active:
            return "the microphone stream is not running"
        silent = time.monotonic() - self._last_data
        if silent > self.stall_s:
            return f"no audio from the microphone for {silent:.1f} s"
        return None

    def _watch(self) -> None:
        tick = min(0.1, self.probe_s)
        next_probe = time.monotonic() + self.probe_s
        while not self._stopping.wait(tick):
            if self.lost:
                self._try_recover()
                continue
            reason = self._problem()
            if (reason is None and self._probe is not None and time.monotonic() >= next_probe
                    and self._probe.changed()):
                next_probe = time.monotonic() + self.probe_s
                reason = self._probe.lost_reason()
            if reason is not None:
                self._declare_lost(reason)

    def _declare_lost(self, reason: str) -> None:
        log.warning("microphone lost: %s", reason)
        self.lost = True
        self._close_stream()
        if self.on_lost is not None:
            try:
                self.on_lost(reason)
            except Exception:  # a listener bug must not kill the watchdog
                log.exception("on_lost callback failed")

    def _try_recover(self) -> None:
        if self._stopping.wait(self.retry_s):
            return
        if self._probe is not None and not self._probe.usable_again():
            return
        try:
            self._open()
        except AudioError as exc:
            log.debug("microphone still unavailable: %s", exc)
            return
        opened = time.monotonic()
        while time.monotonic() - opened < self.stall_s:  # wait for audio to flow
            if self._stopping.wait(0.05):
                return
            if self._last_data > opened and self._problem() is None:
                self.lost = False
                log.info("microphone back")
                if self.on_back is not None:
                    try:
                        self.on_back()
                    except Exception:  # a listener bug must not kill the watchdog
                        log.exception("on_back callback failed")
                return
        self._close_stream()


class WavInput:
    """Feeds a 16 kHz int16 array in ``block_s`` blocks with MicInput's read/drain API.

    ``realtime`` paces blocks on ``time.monotonic`` (as a microphone would);
    otherwise each read returns the next block at once. read() returns None at
    the end (``finished`` turns True) or when a realtime block is not due yet.
    """

    def __init__(self, samples: np.ndarray, realtime: bool = False,
                 block_s: float = BLOCK_S, rate_hz: int = RATE_HZ) -> None:
        self.samples = np.asarray(samples, dtype=np.int16).reshape(-1)
        self.realtime = realtime
        self.block = max(1, int(round(rate_hz * block_s)))
        self.block_s = self.block / rate_hz
        self._index = 0  # next block to hand out
        self._t0: float | None = None
        self.device_rate = rate_hz

    @property
    def finished(self) -> bool:
        return self._index * self.block >= self.samples.size

    def start(self) -> None:
        """Start the realtime clock now (otherwise the first read starts it)."""
        self._t0 = time.monotonic()

    def close(self) -> None:
        """Nothing to release; here for interface parity with MicInput."""

    def _due(self) -> int:
        """How many blocks a realtime microphone would have captured by now."""
        if self._t0 is None:
            self._t0 = time.monotonic()
        return int((time.monotonic() - self._t0) / self.block_s)

    def read(self, timeout_s: float | None = None) -> np.ndarray | None:
        if self.finished:
            return None
        if self.realtime:
            due_at = (self._t0 if self._t0 is not None else time.monotonic()) \
                + (self._index + 1) * self.block_s
            if self._t0 is None:
                self._t0 = due_at - self.block_s
            wait = due_at - time.monotonic()
            if wait > 0:
                if timeout_s is not None and timeout_s < wait:
                    time.sleep(max(0.0, timeout_s))
                    return None
                time.sleep(wait)
        start = self._index * self.block
        self._index += 1
        return self.samples[start: start + self.block].copy()

    def drain(self) -> int:
        """Skip blocks already 'captured' (realtime only); returns blocks dropped."""
        if not self.realtime or self._t0 is None:
            return 0
        total = -(-self.samples.size // self.block)
        target = min(self._due(), total)
        dropped = max(0, target - self._index)
        self._index += dropped
        return dropped

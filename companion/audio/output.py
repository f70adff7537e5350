"""One persistent output stream that plays speech and cues at exact sample offsets.

The stream is opened once and never reopened per prompt: a fresh stream
swallows its first ~50 ms and its start time wobbles. Everything is placed on
the stream's own clock (frames rendered since ``start()`` / rate), so a cue
scheduled at ``at_s`` lands on that sample regardless of thread jitter.

The PortAudio callback only mixes numpy views into the output buffer; new
items arrive through a deque (append/popleft are atomic under the GIL), "stop"
is a sequence number, and start/done notices go through a SimpleQueue to a
notifier thread that calls back when the sample is estimated to leave the
speaker (render time + output latency).

With ``idle_sleep_s``, a stream that has had nothing to play for that long is
stopped, and the next ``play`` starts it again (~1 ms through PulseAudio).
Why: a running 10 ms-block stream costs ~2.3% of a core in silence, about half
of what the companion spends while it listens. The clock keeps running on
``time.monotonic`` while the stream sleeps, so times placed on it stay right.
Off for breathing, whose cues must land on exact samples.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from companion.audio.devices import DEVICE_FIX, import_sounddevice
from companion.audio.resample import resample
from companion.errors import AudioError

__all__ = ["SpeechOutput", "resample"]

log = logging.getLogger(__name__)

Notice = Callable[[float], None]
_FALLBACK_RATES = (48000, 44100, 22050)
_FADE_S = 0.005  # ramp applied when speech is cut, so stopping does not click


@dataclass(eq=False)
class _Item:
    """One clip on the stream timeline; frames are stream-clock sample indices."""

    samples: np.ndarray
    start: int
    tag: str
    interruptible: bool
    queued: bool
    seq: int
    on_start: Notice | None = None
    on_done: Notice | None = None
    started: bool = False
    finished: bool = field(default=False)

    @property
    def end(self) -> int:
        return self.start + self.samples.size


class SpeechOutput:
    """Mono float32 output stream with a sample-accurate schedule.

    ``play(samples, at_s)`` puts audio at stream time ``at_s`` (seconds on
    :meth:`now_s`); ``at_s=None`` queues it after earlier queued speech.
    Overlapping items are summed and clipped.
    """

    def __init__(self, device: int | str | None = None, latency_s: float = 0.1,
                 block_s: float = 0.02, sample_rate: int | None = None,
                 idle_sleep_s: float | None = None) -> None:
        self._device = device
        self._idle_sleep_s = idle_sleep_s
        # While the stream is stopped: (monotonic time it stopped, stream time then).
        self._asleep: tuple[float, float] | None = None
        self._last_sound = 0.0  # monotonic time the last clip finished (or play was called)
        self._latency_s = latency_s
        self._block_s = block_s
        self._requested_rate = sample_rate
        self.sample_rate = 0
        self._stream: Any = None
        self._frames = 0  # frames rendered since start; written by the callback only
        self._pending: collections.deque[_Item] = collections.deque()
        self._active: list[_Item] = []
        self._seq = 0
        self._stop_seq = -1
        self._lock = threading.Lock()  # control side only; the callback never takes it
        self._scheduled: list[_Item] = []
        self._notices: queue.SimpleQueue[tuple[str, _Item, float, float] | None] = (
            queue.SimpleQueue()
        )
        self._notifier: threading.Thread | None = None
        self._fade = np.zeros(0, np.float32)
        self._out_latency = latency_s
        self.underflows = 0
        self.callback_errors = 0

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        """Open and start the stream (tries the device rate, then 48k/44.1k/22.05k)."""
        if self._stream is not None:
            return
        sd = import_sounddevice()
        rates = self._candidate_rates(sd)
        errors = []
        for rate in rates:
            try:
                stream = sd.OutputStream(
                    device=self._device, samplerate=rate, channels=1, dtype="float32",
                    blocksize=max(1, int(round(rate * self._block_s))),
                    latency=self._latency_s, callback=self._callback,
                )
            except (sd.PortAudioError, ValueError) as exc:
                errors.append(f"{rate} Hz: {exc}")
                continue
            self.sample_rate = int(stream.samplerate)
            self._out_latency = float(stream.latency) or self._latency_s
            self._fade = np.linspace(1.0, 0.0, max(1, int(rate * _FADE_S)), dtype=np.float32)
            self._stream = stream
            break
        if self._stream is None:
            raise AudioError("cannot open the speaker: " + "; ".join(errors), DEVICE_FIX)
        self._notifier = threading.Thread(target=self._notify_loop, name="speech-notifier",
                                          daemon=True)
        self._notifier.start()
        self._last_sound = time.monotonic()
        try:
            self._stream.start()
        except sd.PortAudioError as exc:
            self.close()
            raise AudioError(f"cannot start the speaker stream: {exc}", DEVICE_FIX) from exc

    def _candidate_rates(self, sd: Any) -> list[int]:
        if self._requested_rate:
            return [self._requested_rate]
        rates: list[int] = []
        try:
            info = sd.query_devices(self._device, kind="output")
            rates.append(int(info["default_samplerate"]))
        except (sd.PortAudioError, ValueError) as exc:
            raise AudioError(f"no usable speaker: {exc}", DEVICE_FIX) from exc
        rates.extend(r for r in _FALLBACK_RATES if r not in rates)
        return rates

    def close(self) -> None:
        """Stop the stream and the notifier; pending notices are dropped."""
        stream, self._stream = self._stream, None
        if stream is not None:
            sd = import_sounddevice()
            try:
                stream.abort()
                stream.close()
            except sd.PortAudioError as exc:
                log.warning("closing the output stream failed: %s", exc)
        if self._notifier is not None:
            self._notices.put(None)
            self._notifier.join(timeout=2)
            self._notifier = None

    def __enter__(self) -> SpeechOutput:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- clock and scheduling ---------------------------------------------
    @property
    def latency_s(self) -> float:
        """Estimated time from rendering a sample to it leaving the speaker."""
        return self._out_latency

    def now_s(self) -> float:
        """Stream clock: frames rendered since start / sample rate (and time asleep)."""
        if not self.sample_rate:
            return 0.0
        asleep = self._asleep  # (read once: the one field says which clock counts)
        if asleep is not None:
            return asleep[1] + time.monotonic() - asleep[0]
        return self._frames / self.sample_rate

    @property
    def asleep(self) -> bool:
        """True while the stream is stopped for lack of anything to play."""
        return self._asleep is not None

    def play(self, samples: np.ndarray, at_s: float | None = None, tag: str = "",
             interruptible: bool = True, on_start: Notice | None = None,
             on_done: Notice | None = None) -> None:
        """Place mono float32 ``samples`` (at :attr:`sample_rate`) at stream time ``at_s``.

        ``at_s=None`` queues the clip after earlier queued clips (speech that
        must not overlap); a time already rendered plays at the next block.
        ``on_start``/``on_done`` get the stream time of the first/last sample,
        called from the notifier thread when that sample is due at the speaker.
        Stopped clips never call ``on_done``.
        """
        if self._stream is None:
            raise AudioError("the speaker stream is not started", "call SpeechOutput.start()")
        clip = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
        rate = self.sample_rate
        with self._lock:
            self._last_sound = time.monotonic()
            if self._asleep is not None:
                self._wake()
            now = self._frames
            self._prune(now)
            if at_s is None:
                tails = [item.end for item in self._scheduled if item.queued]
                start = max([now, *tails])
            else:
                start = max(now, int(round(at_s * rate)))
            self._seq += 1
            item = _Item(clip, start, tag, interruptible, at_s is None, self._seq,
                         on_start, on_done)
            self._scheduled.append(item)
            self._pending.append(item)

    def _wake(self) -> None:
        """Start the sleeping stream again (lock held), its clock moved on by the time asleep.

        Called before the clip is queued, so the clip starts in a later block, not in
        the ones the start fills at once (docs/decisions/007).
        """
        asleep = self._asleep
        # The callback is not running: the frame count is ours to move until it starts.
        self._frames = int(round(self.now_s() * self.sample_rate))
        self._asleep = None
        sd = import_sounddevice()
        try:
            self._stream.start()
        except sd.PortAudioError as exc:
            self._asleep = asleep
            raise AudioError(f"cannot restart the speaker stream: {exc}", DEVICE_FIX) from exc

    def _sleep_if_idle(self) -> None:
        """Stop the stream when nothing has played or been queued for ``idle_sleep_s``."""
        if self._idle_sleep_s is None or self._stream is None:
            return
        with self._lock:
            if self._asleep is not None or self._pending:
                return
            self._prune(self._frames)
            if self._scheduled or time.monotonic() - self._last_sound < self._idle_sleep_s:
                return
            sd = import_sounddevice()
            try:
                self._stream.abort()  # only silence is left in its buffer
            except sd.PortAudioError as exc:
                log.warning("stopping the idle output stream failed: %s", exc)
                return
            self._active = []
            self._asleep = (time.monotonic(), self._frames / self.sample_rate)

    def stop_speech(self) -> None:
        """Drop every interruptible clip already given to :meth:`play` (cut within a block)."""
        with self._lock:
            self._stop_seq = self._seq
            self._scheduled = [i for i in self._scheduled if not i.interruptible]

    def busy_until_s(self) -> float:
        """Stream time when everything playing or scheduled has been rendered."""
        with self._lock:
            self._prune(self._frames)
            end = max((item.end for item in self._scheduled), default=self._frames)
        return max(end, self._frames) / self.sample_rate if self.sample_rate else 0.0

    def _prune(self, now: int) -> None:
        self._scheduled = [
            i for i in self._scheduled
            if i.end > now and not (i.interruptible and i.seq <= self._stop_seq)
        ]

    # -- real-time side ----------------------------------------------------
    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        """Mix due clips into ``outdata``; no locks, no blocking, only small temporaries."""
        if status.output_underflow:
            self.underflows += 1
        out = outdata[:, 0]
        out.fill(0.0)
        pos = self._frames
        end = pos + frames
        try:
            dac = float(time_info.outputBufferDacTime - time_info.currentTime)
        except (AttributeError, TypeError):
            dac = 0.0
        lead = dac if 0.0 < dac < 1.0 else self._out_latency
        base = time.monotonic() + lead  # when sample ``pos`` leaves the speaker
        rate = self.sample_rate
        while self._pending:
            item = self._pending.popleft()
            if item.start < pos:  # asked for a time already rendered: play from now
                item.start = pos
            self._active.append(item)
        stop_seq = self._stop_seq
        keep = []
        try:
            for item in self._active:
                if item.interruptible and item.seq <= stop_seq:
                    if item.started and item.start < pos < item.end:
                        n = min(self._fade.size, item.end - pos, frames)
                        out[:n] += item.samples[pos - item.start: pos - item.start + n] \
                            * self._fade[:n]
                    continue
                if item.start >= end:
                    keep.append(item)
                    continue
                a = max(item.start, pos)
                b = min(item.end, end)
                if b > a:
                    out[a - pos: b - pos] += item.samples[a - item.start: b - item.start]
                if not item.started:
                    item.started = True
                    self._notices.put(("start", item, item.start / rate,
                                       base + (item.start - pos) / rate))
                if item.end <= end:
                    last = max(item.end - 1, item.start)
                    self._notices.put(("done", item, last / rate, base + (last - pos) / rate))
                else:
                    keep.append(item)
            np.clip(out, -1.0, 1.0, out=out)
        except Exception:  # never let a bad clip kill the stream
            self.callback_errors += 1
            out.fill(0.0)
            keep = []
        self._active = keep
        self._frames = end

    def _notify_loop(self) -> None:
        """Call on_start/on_done when their sample is due at the speaker."""
        poll_s = None if self._idle_sleep_s is None else self._idle_sleep_s / 2
        while True:
            try:
                notice = self._notices.get(timeout=poll_s)
            except queue.Empty:
                self._sleep_if_idle()
                continue
            if notice is None:
                return
            kind, item, stream_s, due = notice
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if kind == "done" and item.interruptible and item.seq <= self._stop_seq:
                continue  # cut between rendering and reaching the speaker
            self._last_sound = time.monotonic()
            hook = item.on_start if kind == "start" else item.on_done
            if hook is None:
                continue
            try:
                hook(stream_s)
            except Exception:  # a listener bug must not stop notices
                log.exception("speech %s notice for %r failed", kind, item.tag)

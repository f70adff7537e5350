"""The thin shell around a pure flow: threads, devices, timers, store.

One event queue feeds the core on the main thread. Producers: the
recognizer thread (Heard), the keyboard thread (Typed), the output stream's
notifier (SpeechFinished), the microphone watchdog (DeviceLost/DeviceBack)
and the timer table (TimerFired, on ``time.monotonic``). Effects are carried
out here and nowhere else: each effect type by its handler, and a feature
package registers handlers for its own effects (:meth:`Runtime.register`).

Half-duplex: while the companion speaks, and for a short guard after, the
microphone's audio is dropped; then the queue is drained and the recognizer
reset, so the companion never answers itself.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from companion import effects as fx
from companion import events as ev
from companion.audio import AudioSource
from companion.core.flow import Flow
from companion.errors import CompanionError
from companion.intents import Vocabulary
from companion.recognition.base import Grammar, Recognizer
from companion.screen import Screen

GUARD_S = 0.3  # after the last sample leaves the speaker, before listening again
RETRY_S = 2.0  # a recognizer that failed is reset and tried again this often
E = TypeVar("E")


class Speaker(Protocol):
    """Speech output: renders text and plays it, reporting start/end."""

    def speak(self, prompt_id: str, text: str, interruptible: bool,
              on_done: Callable[[str], None]) -> None: ...

    def stop(self) -> None: ...

    def set_rate(self, words_per_minute: int) -> None: ...

    def busy(self) -> bool: ...

    def must_finish(self) -> bool: ...

    def prerender(self, texts: list[str]) -> None: ...

    def close(self) -> None: ...


class SessionStore(Protocol):
    """Where finished sessions are recorded."""

    def save(self, kind: str, record: dict[str, Any], started_wall: float) -> int | None: ...


@dataclass
class Shell:
    """Devices and services handed to the runtime; any of them may be absent."""

    vocabulary: Vocabulary
    screen: Screen
    store: SessionStore | None = None
    speaker: Speaker | None = None
    source: AudioSource | None = None
    recognizer: Recognizer | None = None
    keyboard: bool = True
    on_listen: Callable[[Grammar], None] | None = None
    stats: dict[str, Any] = field(default_factory=dict)


class Runtime:
    """Runs one flow to its end; returns the session summary."""

    def __init__(self, flow: Flow, shell: Shell) -> None:
        self.flow = flow
        self.shell = shell
        self.events: queue.Queue[ev.Event] = queue.Queue()
        self.timers: dict[str, float] = {}
        self._active: Grammar | None = None  # the grammar the recognizer has now
        self.stop_flag = threading.Event()
        self.summary = ""
        self._grammar: Grammar | None = None
        self._grammar_lock = threading.Lock()
        self._quiet_until = 0.0  # monotonic time before which mic audio is dropped
        self._reset_needed = threading.Event()
        self._started_wall = time.time()
        self.interrupted = False
        # Hooks told the session's id once it is recorded (to link attempts, entries).
        self.after_save: list[Callable[[int], None]] = []
        self._handlers: dict[type, Callable[[Any], ev.Event | None]] = {
            fx.Say: self._say, fx.Show: lambda e: self.shell.screen.show(e.text, e.style),
            fx.StopSpeaking: self._stop_speaking, fx.SetRate: self._set_rate,
            fx.Listen: self._listen, fx.StartTimer: self._start_timer,
            fx.CancelTimer: self._cancel_timer, fx.SaveSession: self._save, fx.End: self._end,
            fx.PlayCue: lambda _e: None,  # no cue player registered: cues are not heard
        }

    @property
    def started_wall(self) -> float:
        """Wall-clock time (epoch seconds) the session started."""
        return self._started_wall

    # --------------------------------------------------------------- public
    def post(self, event: ev.Event) -> None:
        """Thread-safe: hand an event to the core."""
        self.events.put(event)

    def run(self) -> str:
        """Run until the flow ends. Ctrl-C ends it gracefully, keeping the record."""
        threads = []
        if self.shell.source is not None and self.shell.recognizer is not None:
            threads.append(threading.Thread(target=self._listen_loop, name="listen", daemon=True))
        if self.shell.keyboard:
            threads.append(threading.Thread(target=self._keyboard_loop, name="keys", daemon=True))
        self.post(ev.Started())  # first, so typed-ahead input reaches a started flow
        for thread in threads:
            thread.start()
        try:
            self._loop()
        except KeyboardInterrupt:
            self.interrupted = True
            self._handle(ev.Interrupted())
            self.shell.screen.note("Stopped. What you did is saved.")
        finally:
            self.stop_flag.set()
            if self.shell.speaker is not None:
                self._drain_speech()
        return self.summary

    # ---------------------------------------------------------- main loop
    def _loop(self) -> None:
        while not self.flow.ended:
            timeout = self._next_timer_in()
            try:
                event = self.events.get(timeout=timeout)
            except queue.Empty:
                self._fire_due_timers()
                continue
            self._handle(event)
            self._fire_due_timers()

    def _next_timer_in(self) -> float:
        if not self.timers:
            return 0.5
        return max(0.0, min(self.timers.values()) - time.monotonic())

    def _fire_due_timers(self) -> None:
        now = time.monotonic()
        for timer_id, due in sorted(self.timers.items(), key=lambda kv: kv[1]):
            if due <= now and timer_id in self.timers:
                del self.timers[timer_id]
                self._handle(ev.TimerFired(timer_id))

    def _handle(self, event: ev.Event) -> None:
        """Feed ``event`` to the flow and carry out its effects.

        What a handler reports back (a prompt finished with no speaker to say
        it, an entry saved) is fed to the flow at once, before the next queued
        event: a line typed ahead then reaches the step it was typed for.
        """
        if isinstance(event, ev.Heard):
            self.shell.screen.heard(event.text)
        elif isinstance(event, ev.DeviceBack):
            self._reset_needed.set()  # start the recognizer afresh on the new audio
        follow = [event]
        while follow:
            for effect in self.flow.handle(follow.pop(0)):
                reply = self._carry_out(effect)
                if reply is not None:
                    follow.append(reply)

    def register(self, effect_type: type[E], handler: Callable[[E], ev.Event | None]) -> None:
        """Carry out ``effect_type`` with ``handler`` (a feature's own effects).

        The handler may return an event for the flow, which is handled at once.
        """
        self._handlers[effect_type] = handler

    def _carry_out(self, effect: fx.Effect) -> ev.Event | None:
        handler = self._handlers.get(type(effect))
        if handler is None:
            raise TypeError(f"no handler registered for {type(effect).__name__}")
        return handler(effect)

    def _say(self, effect: fx.Say) -> ev.Event | None:
        self.shell.screen.say(effect.text)
        speaker = self.shell.speaker
        if speaker is None:
            return ev.SpeechFinished(effect.prompt_id)  # printed is said
        self._quiet_until = float("inf")
        speaker.speak(effect.prompt_id, effect.text, effect.interruptible, self._speech_done)
        return None

    def _stop_speaking(self, _effect: fx.StopSpeaking) -> None:
        if self.shell.speaker is not None:
            self.shell.speaker.stop()
            self._listen_again_soon()

    def _set_rate(self, effect: fx.SetRate) -> None:
        if self.shell.speaker is not None:
            self.shell.speaker.set_rate(effect.words_per_minute)

    def _listen(self, effect: fx.Listen) -> None:
        grammar = Grammar(self.shell.vocabulary.phrases_for(effect.intents),
                          dictation=effect.dictation or bool(effect.parts),
                          hints=effect.hints, parts=effect.parts, exact=effect.exact,
                          ending=effect.ending)
        with self._grammar_lock:
            self._grammar = grammar
        self.shell.screen.listening(effect.dictation)

    def _start_timer(self, effect: fx.StartTimer) -> None:
        self.timers[effect.timer_id] = time.monotonic() + effect.after_s

    def _cancel_timer(self, effect: fx.CancelTimer) -> None:
        self.timers.pop(effect.timer_id, None)

    def _end(self, effect: fx.End) -> None:
        self.summary = effect.summary  # already spoken and printed by the flow

    def _save(self, effect: fx.SaveSession) -> None:
        """Record the session, then tell whoever asked (``after_save``) its id."""
        if self.shell.store is None:
            return
        try:
            session_id = self.shell.store.save(effect.kind, effect.record, self._started_wall)
        except Exception as err:  # noqa: BLE001 - never lose the session to a store error
            reason = err.one_line() if isinstance(err, CompanionError) else str(err)
            self.shell.screen.warn(f"Could not save this session: {reason}")
            return
        if session_id is not None:
            for hook in self.after_save:
                hook(session_id)

    def _speech_done(self, prompt_id: str) -> None:
        """Called from the output notifier thread when a prompt's last sample played."""
        self._listen_again_soon()
        self.post(ev.SpeechFinished(prompt_id))

    def _listen_again_soon(self) -> None:
        """Once nothing is left to say: listen again after the guard, on a fresh recognizer."""
        speaker = self.shell.speaker
        if speaker is not None and not speaker.busy():
            self._quiet_until = time.monotonic() + GUARD_S
            self._reset_needed.set()

    def _drain_speech(self, limit_s: float = 8.0, resources_limit_s: float = 120.0) -> None:
        """Let the goodbye finish playing (bounded), then close the speaker.

        Crisis numbers being said are never cut off: speech that must finish
        (not interruptible) is waited for up to ``resources_limit_s``, a bound
        only a stuck device reaches.
        """
        speaker = self.shell.speaker
        assert speaker is not None
        start = time.monotonic()
        while speaker.busy():
            waited = time.monotonic() - start
            if waited >= resources_limit_s or (waited >= limit_s and not speaker.must_finish()):
                break
            time.sleep(0.05)
        speaker.close()

    # ----------------------------------------------------- input threads
    def _listen_loop(self) -> None:
        """Feed the microphone to the recognizer; a recognizer that fails is retried.

        A failure is reported once (the session carries on typed) and the
        recognizer is reset and tried again every ``RETRY_S``; when it works
        again, voice comes back by itself.
        """
        source, recognizer = self.shell.source, self.shell.recognizer
        assert source is not None and recognizer is not None
        failed = False
        while not self.stop_flag.is_set():
            try:
                heard = self._listen_once(source, recognizer)
            except Exception as err:  # noqa: BLE001 - any engine fault: report, retry
                if not failed:
                    failed = True
                    self.post(ev.DeviceLost("recognizer", f"{type(err).__name__}: {err}"))
                self.stop_flag.wait(RETRY_S)
                self._active = None  # set the grammar again on the next try
                self._reset_needed.set()
                continue
            if failed and heard:
                failed = False
                self.post(ev.DeviceBack("recognizer"))

    def _listen_once(self, source: AudioSource, recognizer: Recognizer) -> bool:
        """Read one block and recognize it; True when the recognizer took a block."""
        block = source.read(0.1)
        if block is None:
            return False
        if time.monotonic() < self._quiet_until:
            return False  # the companion is speaking: half-duplex
        if self._reset_needed.is_set():
            self._reset_needed.clear()
            source.drain()
            recognizer.reset()
            return False
        with self._grammar_lock:
            grammar = self._grammar
        if grammar is None:
            return False
        if grammar != self._active:
            recognizer.set_grammar(grammar)
            self._active = grammar
        for hyp in recognizer.accept(block):
            if hyp.final and not hyp.text and hyp.overheard:
                self.post(ev.Overheard(hyp.overheard))  # for the safety check only
            elif hyp.final and hyp.text:
                intent = self.shell.vocabulary.match_spoken(hyp.text)
                if intent is None and not grammar.dictation:
                    self.post(ev.Overheard(hyp.text))
                    continue
                self.post(ev.Heard(hyp.text, intent, hyp.start_s, hyp.end_s, hyp.confidence,
                                   hyp.parts_said,
                                   tuple((w.start_s, w.end_s) for w in hyp.words),
                                   hyp.overheard))
        return True

    def _keyboard_loop(self) -> None:
        import sys

        while not self.stop_flag.is_set():
            line = sys.stdin.readline()
            if not line:
                if self.shell.source is None or self.shell.recognizer is None:
                    self.post(ev.Interrupted())  # typed-only session and input closed
                return
            self.post(ev.Typed(line.rstrip("\n")))

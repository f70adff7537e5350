"""Run a breathing session: the shell around :class:`BreatheFlow`.

The flow's clock *is* the output stream's clock (frames rendered / rate), so
``PlayCue(name, at_s)`` becomes ``SpeechOutput.play(clip, at_s=at_s)``: the
cue lands on that exact sample whatever the threads were doing. Every part
is optional: no speaker means the bar alone, no recognizer means typing.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from companion import effects as fx
from companion import events as ev
from companion.breathe.audio import CueBank, GatedSource, StreamSpeaker, voice_cue_texts
from companion.breathe.flow import BreatheFlow, BreatheOptions
from companion.breathe.patterns import Pattern
from companion.breathe.schedule import Planned
from companion.breathe.screen import BreathDisplay
from companion.core.flow import DEFAULT_RATE_WPM, Context
from companion.errors import AudioError, CompanionError, EngineError, ModelError
from companion.intents import Vocabulary
from companion.runtime import Runtime, Shell
from companion.screen import Screen
from companion.session import StoreAdapter, load_settings, open_safety

OUTPUT_LATENCY_S = 0.3


class CuePlacer:
    """Carries out ``PlayCue`` for the runtime: the cue lands on its sample of the stream."""

    def __init__(self, output: Any = None, cues: CueBank | None = None,
                 gate: GatedSource | None = None, schedule_log: IO[str] | None = None) -> None:
        self.output = output
        self.cues = cues
        self.gate = gate
        self.schedule_log = schedule_log
        self.late_cues = 0

    def place(self, cue: fx.PlayCue) -> None:
        if self.output is None or self.cues is None:
            return
        clip = self.cues.clips.get(cue.name)
        if clip is None:
            return
        now = self.output.now_s()
        if cue.at_s < now:
            self.late_cues += 1
        self.output.play(clip, at_s=cue.at_s, tag=cue.name, interruptible=True)
        if self.gate is not None:
            start = time.monotonic() + (cue.at_s - now) + self.output.latency_s
            self.gate.expect(cue.name, start, clip.size / self.cues.rate_hz)
        if self.schedule_log is not None:
            self.schedule_log.write(json.dumps({"cue": cue.name, "at_s": round(cue.at_s, 6),
                                                "placed_s": round(now, 6)}) + "\n")
            self.schedule_log.flush()


def _snapshot(flow: BreatheFlow, clock: Callable[[], float],
              latency_s: float) -> Callable[[], tuple[Planned | None, float, str]]:
    """What the display needs, read-only: the phase heard now (stream time minus latency)."""

    def snap() -> tuple[Planned | None, float, str]:
        now = clock() - latency_s
        status = ""
        if flow.paused:
            status = "Paused. Say or type 'resume' to carry on."
        elif flow.planner.stop_requested:
            status = "Stopping after this breath out."
        return (None if flow.paused else flow.phase_at(now)), now, status

    return snap


def run_breathe(args: argparse.Namespace, pattern: Pattern,
                content: dict[str, Any]) -> int:
    """Build the session from CLI options and run it to its end; returns the exit code."""
    screen = Screen()
    vocabulary = Vocabulary.load()
    settings = load_settings()
    safety = open_safety(args, settings)
    args.rate = args.rate or int(settings.get("rate_wpm") or DEFAULT_RATE_WPM)
    args.voice = args.voice or settings.get("voice") or None
    cue_mode = args.cues
    output = renderer = None
    closers: list[Callable[[], None]] = []
    if args.text:
        screen.note("Text mode: follow the bar; type 'pause', 'slower' or 'stop' any time.")
    else:
        output, renderer = _open_sound(args, screen)
    if output is None:
        cue_mode = "voice"  # irrelevant without sound, but keep the record honest
    elif renderer is None and cue_mode != "tones":
        screen.warn("Speech is off, so the cues are tones.")
        cue_mode = "tones"
    cues = None
    if output is not None:
        cues = CueBank(output.sample_rate)
        if renderer is not None:
            texts = voice_cue_texts(content["cues"], content["counting"]["words"],
                                    content["prompts"])
            cues.add_voice(renderer, texts)
    options = BreatheOptions(pattern, args.rounds, args.minutes, cue_mode, args.count)
    clock: Callable[[], float] = output.now_s if output is not None else time.monotonic
    extra = {"options": options, "count_words": list(content["counting"]["words"]),
             "cue_lengths_s": cues.lengths_s() if cues else {}}
    ctx = Context(dict(content["prompts"]), vocabulary, safety, clock,
                  args.rate, False, extra)
    flow = BreatheFlow(ctx)
    store = StoreAdapter(screen)
    closers.append(store.close)
    shell = Shell(vocabulary=vocabulary, screen=screen, store=store)
    gate = None
    if output is not None and renderer is not None:
        shell.speaker = StreamSpeaker(output, renderer)
        shell.speaker.prerender([content["prompts"]["paused"], content["prompts"]["resumed"],
                                 content["prompts"]["done"], content["prompts"]["stopped"]])
    elif output is not None:
        closers.append(output.close)
    if not args.text:
        gate = _open_listening(args, shell, closers, screen)
    log_file = _open_log(getattr(args, "schedule_log", None), closers)
    runtime = Runtime(flow, shell)
    placer = CuePlacer(output, cues, gate, log_file)
    runtime.register(fx.PlayCue, placer.place)
    if gate is not None:
        _wire_mic_events(gate, runtime)
    latency = output.latency_s if output is not None else 0.0
    display = BreathDisplay(screen.console, _snapshot(flow, clock, latency),
                            flow.planned_rounds if args.minutes is None else None)
    display.start()
    try:
        runtime.run()
    finally:
        display.stop()
        if log_file is not None:
            underflows = output.underflows if output is not None else 0
            log_file.write(json.dumps({"underflows": underflows,
                                       "late_cues": placer.late_cues}) + "\n")
        for closer in closers:
            closer()
    return 130 if runtime.interrupted else 0


def _open_sound(args: argparse.Namespace, screen: Screen) -> tuple[Any, Any]:
    """The shared output stream and the speech renderer; either may be None (with a reason)."""
    from companion.audio.output import SpeechOutput

    # A deep buffer: cues are placed 0.75 s ahead, so latency costs no accuracy, and it
    # rides out the recognizer hogging the CPU (an underrun would shift every later cue).
    output: Any = SpeechOutput(device=args.output_device, latency_s=OUTPUT_LATENCY_S)
    try:
        output.start()
    except AudioError as err:
        screen.warn(f"Sound is off ({err.message}); follow the bar. Fix: {err.fix}")
        return None, None
    try:
        from companion.tts import SpeechRenderer

        renderer = SpeechRenderer(voice=args.voice, rate_wpm=args.rate)
    except EngineError as err:
        if args.voice:
            output.close()
            raise
        screen.warn(f"Speaking is off ({err.message}). Fix: {err.fix}")
        return output, None
    return output, renderer


def _open_listening(args: argparse.Namespace, shell: Shell, closers: list[Callable[[], None]],
                    screen: Screen) -> GatedSource | None:
    """Recognizer and microphone behind the cue gate; typing always works regardless."""
    try:
        from companion.recognition.engines import open_recognizer

        recognizer = open_recognizer(args.engine, args.model, announce=screen.note)
    except ModelError:
        raise
    except EngineError as err:
        screen.warn(f"Listening is off ({err.message}); type instead. Fix: {err.fix}")
        return None
    try:
        from companion.audio.input import MicInput

        mic = MicInput(device=args.input_device)
        mic.start()
    except AudioError as err:
        screen.warn(f"Listening is off ({err.message}); type instead. Fix: {err.fix}")
        return None
    closers.append(mic.close)
    gate = GatedSource(mic)
    shell.source = gate
    shell.recognizer = recognizer
    return gate


def _wire_mic_events(gate: GatedSource, runtime: Runtime) -> None:
    mic = gate.source
    mic.on_lost = lambda reason: runtime.post(ev.DeviceLost("input", reason))
    mic.on_back = lambda: runtime.post(ev.DeviceBack("input"))


def _open_log(path: Path | None, closers: list[Callable[[], None]]) -> IO[str] | None:
    """The optional JSON-lines log of every cue placed (tests and the benchmark read it)."""
    if path is None:
        return None
    try:
        handle = Path(path).open("w", encoding="utf-8")  # noqa: SIM115 - closed by a closer
    except OSError as err:
        raise CompanionError(f"cannot write {path}: {err.strerror}",
                             "choose a folder you can write to") from err
    closers.append(handle.close)
    return handle

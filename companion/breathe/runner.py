"""Run a breathing session: the shell around :class:`BreatheFlow`.

The flow's clock *is* the output stream's clock (frames rendered / rate), so
``PlayCue(name, at_s)`` becomes ``SpeechOutput.play(clip, at_s=at_s)``: the
cue lands on that exact sample whatever the threads were doing. Every part
is optional: no speaker means the bar alone, no recognizer means typing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from companion import effects as fx
from companion.audio.cue_stream import GatedSource
from companion.breathe.audio import CueBank, voice_cue_texts
from companion.breathe.flow import BreatheFlow, BreatheOptions
from companion.breathe.schedule import Planned
from companion.breathe.screen import BreathDisplay
from companion.errors import CompanionError
from companion.session import Needs, Session, Sound, build_session
from companion.settings import Settings


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


class BreatheShell:
    """A breathing session's own part of the shell: the cue bank made from the sound that
    opened, the cue placer, the breath display and the schedule log."""

    def __init__(self, options: BreatheOptions, content: dict[str, Any],
                 schedule_log: Path | None = None) -> None:
        self.options = options
        self.content = content
        self.schedule_log = schedule_log  # JSON lines of every cue placed (tests, benchmark)
        self.cues: CueBank | None = None

    def prepare(self, sound: Sound) -> dict[str, Any]:
        """The flow's extras: its options (cue mode as it can be heard) and cue lengths."""
        mode = self.options.cues
        if sound.output is None:
            mode = "voice"  # irrelevant without sound, but keep the record honest
        elif sound.renderer is None and mode != "tones":
            mode = "tones"
        if sound.output is not None:
            self.cues = CueBank(sound.output.sample_rate)
            if sound.renderer is not None:
                self.cues.add_voice(sound.renderer, voice_cue_texts(
                    self.content["cues"], self.content["counting"]["words"],
                    self.content["prompts"]))
        self.options = replace(self.options, cues=mode)
        return {"options": self.options,
                "count_words": list(self.content["counting"]["words"]),
                "cue_lengths_s": self.cues.lengths_s() if self.cues else {}}

    def setup(self, session: Session) -> None:
        """Register the cue placer; show the bar while the session runs."""
        output = session.sound.output
        log_file = _open_log(self.schedule_log)
        placer = CuePlacer(output, self.cues, session.gate, log_file)
        session.runtime.register(fx.PlayCue, placer.place)
        flow = session.runtime.flow
        assert isinstance(flow, BreatheFlow)
        display = BreathDisplay(
            session.runtime.shell.screen.console,
            _snapshot(flow, flow.ctx.clock, output.latency_s if output is not None else 0.0),
            flow.planned_rounds if self.options.minutes is None else None)
        display.start()
        session.closers.insert(0, display.stop)
        if log_file is not None:
            def close_log() -> None:
                underflows = output.underflows if output is not None else 0
                log_file.write(json.dumps({"underflows": underflows,
                                           "late_cues": placer.late_cues}) + "\n")
                log_file.close()

            session.closers.append(close_log)


TEXT_NOTE = "Text mode: follow the bar; type 'pause', 'slower' or 'stop' any time."


def run_breathe(settings: Settings, options: BreatheOptions, content: dict[str, Any],
                schedule_log: Path | None = None) -> int:
    """Build the session and run it to its end; returns the exit code."""
    part = BreatheShell(options, content, schedule_log)
    session = build_session(settings, BreatheFlow, dict(content["prompts"]), {},
                            store=None, needs=Needs(cues=True), text_note=TEXT_NOTE,
                            prepare=part.prepare, setup=part.setup)
    session.run()
    return 130 if session.interrupted else 0


def _open_log(path: Path | None) -> IO[str] | None:
    """The optional JSON-lines log of every cue placed (tests and the benchmark read it)."""
    if path is None:
        return None
    try:
        return Path(path).open("w", encoding="utf-8")  # noqa: SIM115 - closed by a closer
    except OSError as err:
        raise CompanionError(f"cannot write {path}: {err.strerror}",
                             "choose a folder you can write to") from err

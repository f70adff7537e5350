"""Assemble a session, one way for every flow: settings, store, safety, sound, runtime,
listening.

Every missing part degrades, it never blocks: no PortAudio, no speaker, no
speech engine or no recognizer each give one clear line saying why and what
to do, and the session carries on typed and printed. A flow says what it
needs (:class:`Needs`) and registers its own effects' handlers in ``setup``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from companion import events as ev
from companion.audio.cue_stream import GatedSource, StreamSpeaker
from companion.core.flow import Context, Flow
from companion.errors import AudioError, CompanionError, EngineError, ModelError
from companion.intents import Vocabulary
from companion.runtime import Runtime, Shell, Speaker
from companion.safety import Safety, resolve_region
from companion.screen import Screen
from companion.settings import Settings

# Cues are placed 0.75 s ahead, so a deep output buffer costs no timing accuracy
# and rides out the recognizer holding the CPU (an underrun would shift every cue).
CUE_OUTPUT_LATENCY_S = 0.3


def open_safety(settings: Settings) -> Safety:
    """Crisis matching and helplines for the settings' region, discreet if they ask."""
    return Safety.load(resolve_region(settings.region, None), discreet=settings.discreet)


def show_resources_if_crisis(settings: Settings, texts: Iterable[str]) -> bool:
    """Outside a session (journal flags, a scored recording): crisis words in what was
    typed or heard put the numbers that fit on screen (standard error, so JSON on
    standard output stays whole). Nothing is said aloud here. True when shown."""
    safety = open_safety(settings)
    for text in texts:
        answer = safety.check(text)
        if answer is not None:
            print(f"\n{answer.screen}\n", file=sys.stderr)
            return True
    return False


class StoreAdapter:
    """Records sessions in the SQLite store; a store that cannot be opened is not fatal."""

    def __init__(self, screen: Screen, store: Any = None) -> None:
        """Over ``store`` when it is already open, else open it now."""
        from companion.store import Store

        self.store: Any = store
        if store is not None:
            return
        try:
            self.store = Store.open()
        except CompanionError as err:
            screen.warn(f"Sessions won't be saved this time: {err.one_line()}")

    def first_run(self) -> bool:
        return self.store is None or not self.store.sessions(limit=1)

    def save(self, kind: str, record: dict[str, Any], started_wall: float) -> int | None:
        """Record the session; its id, or None when there is no store."""
        if self.store is None:
            return None
        details = {k: v for k, v in record.items() if k != "completed"}
        return self.store.record_session(
            kind,
            datetime.fromtimestamp(started_wall, timezone.utc),
            datetime.now(timezone.utc),
            bool(record.get("completed")),
            details,
        )

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


@dataclass(frozen=True)
class Needs:
    """What a flow needs from the shell beyond screen, keyboard and speech."""

    cues: bool = False  # timed cues: one output stream whose clock is the flow's, mic gated


@dataclass
class Sound:
    """The sound a session could open; any part may be None (and was said why)."""

    speaker: Speaker | None = None
    output: Any = None  # the shared SpeechOutput, when the flow needs cues
    renderer: Any = None  # its SpeechRenderer, for the flow's own clips


class Session:
    """A flow plus its shell; ``run()`` blocks until the session ends.

    ``sound``, ``gate`` and ``closers`` are there for a flow's ``setup`` hook
    (breathing places its cues on ``sound.output`` and closes its log last).
    """

    def __init__(self, runtime: Runtime, store: StoreAdapter, sound: Sound) -> None:
        self.runtime = runtime
        self.store = store
        self.sound = sound
        self.gate: GatedSource | None = None
        self.closers: list[Callable[[], None]] = []
        self.interrupted = False

    def run(self) -> str:
        try:
            summary = self.runtime.run()
        finally:
            for closer in self.closers:
                closer()
            self.store.close()
        self.interrupted = self.runtime.interrupted
        return summary


TEXT_NOTE = "Text mode: type your answers; type 'help' to see what you can say."


def build_session(settings: Settings, flow_class: Callable[[Context], Flow],
                  prompts: dict[str, str], extra: dict[str, Any], *,
                  vocabulary: Vocabulary | None = None, store: Any = None,
                  needs: Needs = Needs(), text_note: str = TEXT_NOTE,
                  prepare: Callable[[Sound], dict[str, Any]] | None = None,
                  setup: Callable[[Session], None] | None = None) -> Session:
    """The one assembly: settings -> store -> safety -> sound -> flow -> runtime -> listening.

    Every part but the screen may be missing and the session still runs.
    ``store`` is a store already open (the journal must have one, so it opens
    it before the person talks); else it is opened here and may be missing.
    ``prepare`` adds to the flow's extras from the sound that opened (a
    breathing session's cue lengths); ``setup`` registers the handlers of the
    flow's own effects once the runtime exists.
    """
    screen = Screen()
    adapter = StoreAdapter(screen, store)
    safety = open_safety(settings)
    sound = Sound() if settings.text else _open_sound(settings, screen, needs)
    if prepare is not None:
        extra = {**extra, **prepare(sound)}
    clock = sound.output.now_s if needs.cues and sound.output is not None else time.monotonic
    ctx = Context(prompts, vocabulary or Vocabulary.load(), safety, clock, settings.rate_wpm,
                  adapter.first_run(), extra)
    shell = Shell(vocabulary=ctx.vocabulary, screen=screen, store=adapter, speaker=sound.speaker)
    runtime = Runtime(flow_class(ctx), shell)
    session = Session(runtime, adapter, sound)
    if sound.speaker is not None:
        # Every fixed prompt, in file order (the first ones are needed first), so
        # replies never wait for text-to-speech; renders are cached on disk.
        sound.speaker.prerender([t for t in prompts.values() if "{" not in t]
                                + runtime.flow.texts_to_prepare())
    elif sound.output is not None:
        session.closers.append(sound.output.close)  # cues only: nobody else closes it
    if settings.text:
        screen.note(text_note)
    else:
        _open_listening(settings, session, gated=needs.cues)
    if setup is not None:
        setup(session)
    return session


def _open_sound(settings: Settings, screen: Screen, needs: Needs) -> Sound:
    """Speaker (and, for cues, the shared stream and renderer); say why when one is off."""
    try:
        if needs.cues:
            return _open_cue_sound(settings, screen)
        from companion.audio.speaker import AudioSpeaker

        return Sound(AudioSpeaker(voice=settings.voice, rate_wpm=settings.rate_wpm,
                                  device=settings.output_device))
    except EngineError as err:
        if settings.voice and "voice" in err.message:
            raise
        screen.warn(f"Speaking is off ({err.message}); prompts are printed. Fix: {err.fix}")
    except AudioError as err:
        screen.warn(f"Sound is off ({err.message}); prompts are printed. Fix: {err.fix}")
    return Sound()


def _open_cue_sound(settings: Settings, screen: Screen) -> Sound:
    """One deep-buffered stream (``CUE_OUTPUT_LATENCY_S``) for cues and speech."""
    from companion.audio.output import SpeechOutput

    output = SpeechOutput(device=settings.output_device, latency_s=CUE_OUTPUT_LATENCY_S)
    output.start()
    try:
        from companion.tts import SpeechRenderer

        renderer = SpeechRenderer(voice=settings.voice, rate_wpm=settings.rate_wpm)
    except EngineError as err:
        if settings.voice and "voice" in err.message:
            output.close()
            raise
        screen.warn(f"Speaking is off ({err.message}); cues are tones. Fix: {err.fix}")
        return Sound(output=output)
    return Sound(StreamSpeaker(output, renderer), output, renderer)


def _open_listening(settings: Settings, session: Session, gated: bool) -> None:
    """Recognizer (loaded on first use) and microphone; typing works regardless.
    The hint about the better model is shown on the first run only."""
    runtime = session.runtime
    shell = runtime.shell
    try:
        from companion.recognition.engines import open_recognizer

        recognizer = open_recognizer(
            settings.engine, settings.model,
            announce=shell.screen.note if session.store.first_run() else None,
            on_late_failure=lambda err: _listening_off(shell.screen, err),
            voice_profile=settings.voice_profile, warn=shell.screen.warn)
    except ModelError:
        raise
    except EngineError as err:
        _listening_off(shell.screen, err)
        return
    try:
        from companion.audio.input import MicInput

        mic = MicInput(
            device=settings.input_device,
            on_lost=lambda reason: runtime.post(ev.DeviceLost("input", reason)),
            on_back=lambda: runtime.post(ev.DeviceBack("input")),
        )
        mic.start()
    except AudioError as err:
        _listening_off(shell.screen, err)
        return
    session.closers.append(mic.close)
    shell.recognizer = recognizer
    if gated:
        session.gate = GatedSource(mic)
        shell.source = session.gate
    else:
        shell.source = mic


def _listening_off(screen: Screen, err: CompanionError) -> None:
    screen.warn(f"Listening is off ({err.message}); type instead. Fix: {err.fix}")

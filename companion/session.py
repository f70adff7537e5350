"""Assemble a session: content, safety, store and whatever voice hardware works.

Every missing part degrades, it never blocks: no PortAudio, no speaker, no
speech engine or no recognizer each give one clear line saying why and what
to do, and the session carries on typed and printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from companion import content_files
from companion import events as ev
from companion.core.flow import DEFAULT_RATE_WPM, Context, Flow
from companion.errors import AudioError, CompanionError, EngineError, ModelError
from companion.intents import Vocabulary
from companion.runtime import Runtime, Shell
from companion.safety import Safety, resolve_region
from companion.screen import Screen

ContentLoader = Callable[[], tuple[dict[str, str], dict[str, Any]]]


def load_settings() -> dict[str, Any]:
    """The user's defaults (settings.toml): region, voice, rate."""
    return content_files.load("settings.toml")


def open_safety(args: argparse.Namespace | None, settings: dict[str, Any]) -> Safety:
    """Crisis matching and helplines for the region (flag, then settings, then locale),
    discreet when ``--discreet`` or the settings ask for it."""
    region = resolve_region(getattr(args, "region", None), settings.get("region") or None)
    discreet = getattr(args, "discreet", None)
    if discreet is None:
        discreet = bool(settings.get("discreet", False))
    return Safety.load(region, discreet=discreet)


def show_resources_if_crisis(args: argparse.Namespace | None, texts: Iterable[str]) -> bool:
    """Outside a session (journal flags, a scored recording): crisis words in what was
    typed or heard put the numbers that fit on screen (standard error, so JSON on
    standard output stays whole). Nothing is said aloud here. True when shown."""
    safety = open_safety(args, load_settings())
    for text in texts:
        answer = safety.check(text)
        if answer is not None:
            print(f"\n{answer.screen}\n", file=sys.stderr)
            return True
    return False


class StoreAdapter:
    """Records sessions in the SQLite store; opened lazily, never fatal."""

    def __init__(self, screen: Screen) -> None:
        from companion.store import Store

        self.screen = screen
        self.store: Any = None
        try:
            self.store = Store.open()
        except CompanionError as err:
            screen.warn(f"Sessions won't be saved this time: {err.message}"
                        + (f" ({err.fix})" if err.fix else ""))

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


class Session:
    """A flow plus its shell; ``run()`` blocks until the session ends."""

    def __init__(self, runtime: Runtime, store: StoreAdapter, closers: list[Any]) -> None:
        self.runtime = runtime
        self.store = store
        self.closers = closers
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


def build_session(args: argparse.Namespace, flow_class: type[Flow],
                  load_content: ContentLoader, vocabulary: Vocabulary | None = None,
                  setup: Callable[[Runtime], None] | None = None,
                  extra: dict[str, Any] | None = None) -> Session:
    """Build the flow and its shell from CLI options, falling back part by part.

    ``vocabulary`` (a flow's own commands added), ``setup`` (registers the
    handlers of a flow's own effects with the runtime) and ``extra`` (added to
    the content's extras) let other flows share this assembly.
    """
    screen = Screen()
    vocabulary = vocabulary or Vocabulary.load()
    prompts, content_extra = load_content()
    store = StoreAdapter(screen)
    return assemble_session(
        args, screen, store, prompts, {**content_extra, **(extra or {})}, vocabulary,
        lambda ctx, shell: _runtime(flow_class(ctx), shell, setup), store.first_run(), TEXT_NOTE)


def _runtime(flow: Flow, shell: Shell, setup: Callable[[Runtime], None] | None) -> Runtime:
    runtime = Runtime(flow, shell)
    if setup is not None:
        setup(runtime)
    return runtime


def assemble_session(args: argparse.Namespace, screen: Screen, store: StoreAdapter,
                     prompts: dict[str, str], extra: dict[str, Any], vocabulary: Vocabulary,
                     make_runtime: Callable[[Context, Shell], Runtime], first_run: bool,
                     text_note: str) -> Session:
    """The part every session shares: settings, safety, context, shell, and voice or text."""
    settings = load_settings()
    safety = open_safety(args, settings)
    rate = args.rate or int(settings.get("rate_wpm") or DEFAULT_RATE_WPM)
    args.voice = args.voice or settings.get("voice") or None
    ctx = Context(prompts, vocabulary, safety, time.monotonic, rate, first_run, extra)
    shell = Shell(vocabulary=vocabulary, screen=screen, store=store)
    runtime = make_runtime(ctx, shell)
    closers: list[Any] = []
    if args.text:
        screen.note(text_note)
    else:
        _open_voice(args, shell, runtime, closers, rate)
    return Session(runtime, store, closers)


def _open_voice(args: argparse.Namespace, shell: Shell, runtime: Runtime,
                closers: list[Any], rate: int) -> None:
    """Speaker, microphone and recognizer, each optional; say why when one is off."""
    screen = shell.screen
    try:
        from companion.audio.speaker import AudioSpeaker

        speaker = AudioSpeaker(voice=args.voice, rate_wpm=rate, device=args.output_device)
        shell.speaker = speaker
        # Every fixed prompt, in file order (the first ones are needed first), so
        # replies never wait for text-to-speech; renders are cached on disk.
        speaker.prerender([t for t in runtime.flow.ctx.prompts.values() if "{" not in t]
                          + runtime.flow.texts_to_prepare())
    except EngineError as err:
        if args.voice and "voice" in err.message:
            raise
        screen.warn(f"Speaking is off ({err.message}); prompts are printed. Fix: {err.fix}")
    except AudioError as err:
        screen.warn(f"Speaking is off ({err.message}); prompts are printed. Fix: {err.fix}")
    try:
        from companion.recognition.engines import open_recognizer

        shell.recognizer = open_recognizer(
            args.engine, args.model, announce=screen.note,
            on_late_failure=lambda err: _listening_off(screen, err))
    except ModelError:
        raise
    except EngineError as err:
        _listening_off(screen, err)
        return
    try:
        from companion.audio.input import MicInput

        mic = MicInput(
            device=args.input_device,
            on_lost=lambda reason: runtime.post(ev.DeviceLost("input", reason)),
            on_back=lambda: runtime.post(ev.DeviceBack("input")),
        )
        mic.start()
        shell.source = mic
        closers.append(mic.close)
    except AudioError as err:
        shell.recognizer = None
        _listening_off(screen, err)


def _listening_off(screen: Screen, err: CompanionError) -> None:
    screen.warn(f"Listening is off ({err.message}); type instead. Fix: {err.fix}")

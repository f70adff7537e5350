"""`companion doctor`: check each part and print every problem with its fix."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from rich.console import Console

from companion import paths
from companion.errors import CompanionError

Check = Callable[[], str]


def _recognizer(args: argparse.Namespace) -> Check:
    def check() -> str:
        from companion.recognition.engines import open_recognizer

        notes: list[str] = []
        recognizer = open_recognizer(args.engine, args.model, announce=notes.append)
        return f"{recognizer.name} loads" + (f" ({notes[0]})" if notes else "")
    return check


def _vosk_model() -> str:
    from companion.models import download_command, find_model

    path = find_model(None)
    if path is None:
        return f"none installed (optional; pocketsphinx is used): {download_command()}"
    return f"found at {path}"


def _voice_profile() -> str:
    from companion.voice import profile
    from companion.voice.adapt import tools_missing
    from companion.voice.model_files import TOOLS_FIX

    taught = profile.load()  # a damaged one raises VoiceProfileError with its fix
    if taught is None:
        missing = tools_missing()
        tools = (f"; teaching needs {missing[0]} ({TOOLS_FIX})" if missing
                 else "; teach one with: companion voice teach")
        return "none (optional)" + tools
    return (f"taught {taught.taught_at} from {taught.takes} takes; the built-in "
            "recognizer uses it")


def _speech() -> str:
    from companion.tts import SpeechRenderer

    renderer = SpeechRenderer()
    try:
        voices = renderer.list_voices()
        renderer.render("ready")
    finally:
        renderer.close()
    examples = ", ".join(v["id"] for v in voices[:3])
    return f"text-to-speech works, {len(voices)} voices (e.g. {examples})"


def _audio() -> str:
    from companion.audio.devices import check_audio

    problem = check_audio()
    if problem is not None:
        raise problem
    return "input and output devices found"


def _content() -> str:
    from companion.breathe.patterns import load_breathe_content, load_patterns
    from companion.ground.content import load_ground_content
    from companion.intents import Vocabulary
    from companion.journal.flow import load_journal_content
    from companion.rehearse.flow import load_rehearse_content
    from companion.session import open_safety
    from companion.settings import Settings

    Vocabulary.load()
    load_ground_content()  # with phrases.toml
    load_patterns(load_breathe_content())
    load_journal_content()
    load_rehearse_content()
    safety = open_safety(Settings.from_options())
    return (f"content files load (your own go in {paths.config_dir()}); "
            f"helplines for region {safety.region}")


def _store() -> str:
    from companion.store import Store

    with Store.open() as store:
        count = len(store.sessions(limit=1000))
        return f"{store.path} is healthy ({count} sessions recorded)"


def run_checks(args: argparse.Namespace) -> list[str]:
    """Run every check; print ✓ or ✗ with the fix; return the problems."""
    console = Console(highlight=False)
    checks: list[tuple[str, Check]] = [
        ("recognizer", _recognizer(args)),
        ("vosk model", _vosk_model),
        ("voice profile", _voice_profile),
        ("speech", _speech),
        ("audio", _audio),
        ("content", _content),
        ("store", _store),
    ]
    problems = []
    for name, check in checks:
        try:
            console.print(f"[green]ok[/]   {name}: {check()}")
        except CompanionError as err:
            problems.append(name)
            console.print(f"[red]fail[/] {name}: {err.message}")
            if err.fix:
                console.print(f"       fix: {err.fix}")
    console.print(f"config folder: {paths.config_dir()}")
    console.print(f"data folder:   {paths.data_dir()}")
    from companion.model_offer import in_a_terminal, offer_model

    if in_a_terminal() and "recognizer" not in problems:
        path = offer_model(remember=False)
        if path is not None:
            console.print(f"[green]ready:[/] {path}; sessions use it from now on")
    return problems

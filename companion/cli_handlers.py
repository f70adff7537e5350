"""Handlers of the top-level CLI commands (ground, listen, devices, doctor): each
builds what it needs from the library and runs it. Feature packages keep the
handlers of their own commands (``breathe/cli.py``, ``journal/cli.py``, ...)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from companion.errors import AudioError, CompanionError


def cmd_ground(args: argparse.Namespace) -> int:
    """`companion ground`: the hands-free grounding session."""
    from companion.ground.content import load_ground_content
    from companion.ground.flow import GroundFlow

    if args.diagram is not None:
        _write_diagram(args.diagram)
        return 0
    from companion.journal.session import keep_entries
    from companion.session import build_session
    from companion.settings import Settings

    settings = Settings.from_options(args)
    prompts, extra = load_ground_content()
    session = build_session(settings, GroundFlow, prompts, extra, setup=keep_entries)
    session.run()
    return 130 if session.interrupted else 0


def _write_diagram(path: Path) -> None:
    from companion.core.diagram import mermaid
    from companion.ground.flow import GroundFlow

    text = mermaid(GroundFlow)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        raise CompanionError(f"cannot write {path}: {err.strerror}",
                             "choose a folder you can write to") from err
    print(f"wrote the flow diagram to {path}")


def cmd_listen(args: argparse.Namespace) -> int:
    """`companion listen`: JSON lines of what the recognizer hears."""
    from companion.intents import Vocabulary
    from companion.listen import listen_file, listen_source
    from companion.recognition.engines import open_recognizer

    vocabulary = Vocabulary.load()
    recognizer = open_recognizer(args.engine, args.model, announce=_stderr_line,
                                 voice_profile=not args.no_voice_profile, warn=_stderr_line)
    if args.wav is not None:
        records = listen_file(args.wav, recognizer, vocabulary, dictation=args.dictation)
    else:
        from companion.audio.input import MicInput

        mic = MicInput(device=args.input_device, on_lost=_stderr_line,
                       on_back=lambda: _stderr_line("the microphone is back"))
        mic.start()
        try:
            records = listen_source(mic, recognizer, vocabulary, dictation=args.dictation,
                                    seconds=args.seconds, on_note=_stderr_line)
            for record in records:
                print(json.dumps(record), flush=True)
        finally:
            mic.close()
        return 0
    for record in records:
        print(json.dumps(record), flush=True)
    return 0


def _stderr_line(text: str) -> None:
    print(f"companion: {text}", file=sys.stderr, flush=True)


def cmd_devices(args: argparse.Namespace) -> int:
    """`companion devices`: audio devices PortAudio can see."""
    from rich.console import Console
    from rich.table import Table

    from companion.audio.devices import DEVICE_FIX, list_devices

    rows = list_devices()
    if not rows:
        raise AudioError("no audio devices found", DEVICE_FIX)
    table = Table(box=None, pad_edge=False)
    for column in ("index", "name", "in", "out", "rate", "default"):
        table.add_column(column)
    for dev in rows:
        default = " ".join(k for k in ("input", "output") if dev.get(f"default_{k}"))
        table.add_row(str(dev["index"]), dev["name"], str(dev["inputs"]), str(dev["outputs"]),
                      f"{dev['default_rate']:.0f}", default)
    Console().print(table)
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """`companion doctor`: check every part, print each problem with its fix."""
    from companion.doctor import run_checks

    started = time.monotonic()
    problems = run_checks(args)
    print(f"(checked in {time.monotonic() - started:.1f} s)")
    return 1 if problems else 0

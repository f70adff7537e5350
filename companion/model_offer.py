"""Offer the recommended speech model where a person can answer, and only once.

Set-up (in a terminal) and `companion doctor` ask; a session never does. The
answer "no" is remembered (a marker in the data folder), so set-up does not
ask again; `doctor` asks whenever it runs in a terminal, since asking is why
someone runs it. Nothing is downloaded without a yes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from companion import paths
from companion.models import download, find_model, recommended

DECLINED_MARKER = "model-offer-declined"


def in_a_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def cmd_offer(args: argparse.Namespace) -> int:
    """`companion model offer`: offer the recommended model when none is installed (only
    in a terminal; set-up runs it)."""
    if in_a_terminal():
        path = offer_model()
        if path is not None:
            print(f"ready: {path}")
    return 0


def offer_model(ask: Callable[[str], str] = input, remember: bool = True) -> Path | None:
    """Ask whether to download the recommended model when none is installed; its
    folder when downloaded, else None. With ``remember``, a "no" is kept and the
    question not asked again."""
    if find_model(None) is not None:
        return None
    marker = paths.data_dir() / DECLINED_MARKER
    if remember and marker.exists():
        return None
    entry = recommended()
    answer = ask(f"Download the more accurate speech recognizer ({entry.name}, "
                 f"about {entry.size / 2**20:.0f} MB)? It is the only thing companion "
                 "ever downloads. [y/N] ")
    if answer.strip().lower() in ("y", "yes"):
        return download(entry.name)
    if remember:
        paths.data_dir(create=True)
        marker.touch(mode=0o600)
    print(f"Fine: the built-in recognizer is used. Any time later: "
          f"companion model download {entry.name}")
    return None

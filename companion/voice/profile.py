"""The voice profile on disk: the adapted model files, the takes, and what was taught.

It lives in the private data folder (``voice/``: folders 0700, files 0600) and
never leaves it. ``profile.json`` names every model file with its SHA-256, so a
damaged or half-deleted profile is found before the recognizer loads it; then
the session runs without it and says so once (``VoiceProfileError``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from companion.audio.wav import write_wav
from companion.errors import CompanionError
from companion.paths import data_dir
from companion.recognition.base import SAMPLE_RATE_HZ

FOLDER = "voice"
MANIFEST = "profile.json"
MODEL, TAKES = "model", "takes"
TAKES_LIST = "takes.tsv"
FORMAT_VERSION = 1


class VoiceProfileError(CompanionError):
    """The voice profile cannot be used (damaged, incomplete, or from another version)."""

    exit_code = 7


@dataclass(frozen=True)
class Profile:
    """What was taught: when, how, and from how many takes of which phrases."""

    method: str  # "map" or "mllr" (companion.voice.adapt)
    taught_at: str  # ISO 8601, UTC
    takes: int
    phrases: dict[str, int]  # phrase -> takes of it
    speech_s: float  # seconds of audio in the takes
    adapt_s: float  # how long adaptation took
    files: dict[str, dict[str, str]]  # decoder option -> {"name", "sha256"}
    check: dict[str, Any] = field(default_factory=dict)  # figures of the last check
    version: int = FORMAT_VERSION


def folder() -> Path:
    """The profile's folder in the private data folder."""
    return data_dir() / FOLDER


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)


def _damaged(why: str) -> VoiceProfileError:
    return VoiceProfileError(f"your voice profile cannot be used ({why}); listening "
                             "without it", "teach it again: companion voice teach "
                             "(or remove it: companion voice forget)")


def load(where: Path | None = None) -> Profile | None:
    """The saved profile, checked file by file; None when none was taught.

    Raises VoiceProfileError when it is damaged or incomplete.
    """
    base = where or folder()
    manifest = base / MANIFEST
    if not manifest.exists():
        return None
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        profile = Profile(**data)
    except (OSError, UnicodeDecodeError, ValueError, TypeError) as err:
        raise _damaged(f"{manifest} is unreadable: {err}") from err
    if profile.version != FORMAT_VERSION:
        raise _damaged(f"it was made by another version (format {profile.version})")
    for option, entry in profile.files.items():
        path = base / MODEL / str(entry.get("name", ""))
        try:
            intact = _sha256(path) == entry.get("sha256")
        except OSError as err:
            raise _damaged(f"its file for {option} is missing") from err
        if not intact:
            raise _damaged(f"{path.name} is damaged")
    return profile


def decoder_options(where: Path | None = None) -> dict[str, str]:
    """Decoder options that load the profile's model files; empty when none was taught.

    Raises VoiceProfileError when the profile is damaged.
    """
    base = where or folder()
    profile = load(base)
    if profile is None:
        return {}
    return {option: str(base / MODEL / entry["name"])
            for option, entry in profile.files.items()}


@contextmanager
def _owner_only() -> Iterator[None]:
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def save(model_folder: Path, options: Mapping[str, str], method: str,
         takes: Sequence[tuple[str, np.ndarray]], adapt_s: float,
         where: Path | None = None) -> Profile:
    """Keep a new profile (replacing any old one): the model files named by ``options``
    (decoder option -> file name in ``model_folder``), the takes as WAVs, the manifest."""
    base = where or folder()
    _private_dir(base.parent)
    fresh = base.with_name(base.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    with _owner_only():
        _private_dir(fresh / MODEL)
        _private_dir(fresh / TAKES)
        files = {}
        for option, name in options.items():
            shutil.copyfile(model_folder / name, fresh / MODEL / name)
            files[option] = {"name": name, "sha256": _sha256(fresh / MODEL / name)}
        lines: list[str] = []
        counts: dict[str, int] = {}
        for i, (phrase, samples) in enumerate(takes):
            write_wav(fresh / TAKES / f"take-{i:03d}.wav", samples)
            lines.append(f"take-{i:03d}.wav\t{phrase}")
            counts[phrase] = counts.get(phrase, 0) + 1
        (fresh / TAKES / TAKES_LIST).write_text("\n".join(lines) + "\n", encoding="utf-8")
        profile = Profile(method, datetime.now(timezone.utc).isoformat(timespec="seconds"),
                          len(takes), counts,
                          round(sum(s.size for _, s in takes) / SAMPLE_RATE_HZ, 1),
                          round(adapt_s, 2), files)
        _write_manifest(fresh, profile)
    shutil.rmtree(base, ignore_errors=True)
    fresh.replace(base)
    return profile


def _write_manifest(base: Path, profile: Profile) -> None:
    partial = base / (MANIFEST + ".partial")
    with _owner_only():
        partial.write_text(json.dumps(asdict(profile), indent=1), encoding="utf-8")
    partial.replace(base / MANIFEST)


def record_check(figures: dict[str, Any], where: Path | None = None) -> None:
    """Keep the figures of the latest check in the manifest (``companion voice show``)."""
    base = where or folder()
    profile = load(base)
    if profile is not None:
        _write_manifest(base, Profile(**{**asdict(profile), "check": figures}))


def forget(where: Path | None = None) -> list[Path]:
    """Delete the profile and its recordings; the files that were removed."""
    base = where or folder()
    removed = sorted(p for p in base.rglob("*") if p.is_file()) if base.exists() else []
    for extra in (base, base.with_name(base.name + ".new")):
        with suppress(FileNotFoundError):
            shutil.rmtree(extra)
    return removed

"""Audio devices: import PortAudio safely, list devices, diagnose problems.

``import sounddevice`` raises OSError when the PortAudio library is missing;
every audio module goes through :func:`import_sounddevice` so that becomes an
:class:`~companion.errors.AudioError` with the fix instead of a traceback.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from types import ModuleType
from typing import Any

from companion.errors import AudioError

PORTAUDIO_FIX = "install PortAudio: sudo apt install libportaudio2 (Debian/Ubuntu)"
DEVICE_FIX = (
    "plug in a microphone/speaker or start PulseAudio, then run `companion devices`; "
    "pick one with --input-device / --output-device, or use --text to type instead"
)


log = logging.getLogger(__name__)

# alsa-lib prints its own notices ("ALSA lib pcm.c:...: underrun occurred") straight to
# the terminal, in the middle of the session's words. An underrun while nothing is
# playing is harmless (the decoder held the interpreter for a moment); they go to the
# debug log instead. The handler must outlive every stream, so it is kept here.
_ALSA_HANDLER_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                                      ctypes.c_int, ctypes.c_char_p)


def _alsa_notice(file: bytes | None, line: int, function: bytes | None, err: int,
                 fmt: bytes | None) -> None:
    log.debug("alsa-lib %s:%d %s: %s", (file or b"").decode(errors="replace"), line,
              (function or b"").decode(errors="replace"), (fmt or b"").decode(errors="replace"))


_alsa_handler = _ALSA_HANDLER_TYPE(_alsa_notice)
_alsa_quiet = False


def _quiet_alsa() -> None:
    """Route alsa-lib's messages to the log (once; nothing to do without alsa-lib)."""
    global _alsa_quiet
    if _alsa_quiet:
        return
    _alsa_quiet = True
    name = ctypes.util.find_library("asound")
    if name is None:
        return
    try:
        ctypes.CDLL(name).snd_lib_error_set_handler(_alsa_handler)
    except (OSError, AttributeError) as exc:
        log.debug("could not quiet alsa-lib: %s", exc)


def import_sounddevice() -> ModuleType:
    """Return the ``sounddevice`` module, or raise AudioError saying how to get PortAudio."""
    _quiet_alsa()
    try:
        import sounddevice
    except OSError as exc:  # raised by sounddevice when libportaudio is absent
        raise AudioError(f"the PortAudio library is not available ({exc})", PORTAUDIO_FIX) from exc
    except ImportError as exc:
        raise AudioError(
            f"the sounddevice package is not installed ({exc})", "pip install sounddevice"
        ) from exc
    return sounddevice


def list_devices() -> list[dict[str, Any]]:
    """Every PortAudio device with its channel counts, default rate and default flags."""
    sd = import_sounddevice()
    try:
        devices = sd.query_devices()
        default_in, default_out = sd.default.device
    except sd.PortAudioError as exc:
        raise AudioError(f"cannot list audio devices: {exc}", DEVICE_FIX) from exc
    if default_in is None or default_in < 0:
        default_in = _safe_default(sd, "input")
    if default_out is None or default_out < 0:
        default_out = _safe_default(sd, "output")
    rows = []
    for info in devices:
        index = int(info["index"])
        rows.append(
            {
                "index": index,
                "name": str(info["name"]),
                "inputs": int(info["max_input_channels"]),
                "outputs": int(info["max_output_channels"]),
                "default_rate": float(info["default_samplerate"]),
                "default_input": index == default_in,
                "default_output": index == default_out,
            }
        )
    return rows


def _safe_default(sd: ModuleType, kind: str) -> int:
    """The host API's default device index of ``kind``, or -1 when there is none."""
    try:
        info = sd.query_devices(kind=kind)
    except (sd.PortAudioError, ValueError):
        return -1
    return int(info["index"]) if isinstance(info, dict) else -1


def check_audio() -> AudioError | None:
    """What stops voice mode (every missing part in one message, with the fix), or None."""
    try:
        rows = list_devices()
    except AudioError as exc:
        return exc
    problems = []
    if not any(row["inputs"] > 0 for row in rows):
        problems.append("no microphone (input device) found")
    elif not any(row["default_input"] for row in rows):
        problems.append("no default microphone is set")
    if not any(row["outputs"] > 0 for row in rows):
        problems.append("no speaker (output device) found")
    elif not any(row["default_output"] for row in rows):
        problems.append("no default speaker is set")
    return AudioError("; ".join(problems), DEVICE_FIX) if problems else None


def resolve_device(device: int | str | None, kind: str) -> int | str | None:
    """Validate a --device value (index or name substring) before a stream opens."""
    if device is None:
        return None
    sd = import_sounddevice()
    try:
        info = sd.query_devices(device, kind=kind)
    except (sd.PortAudioError, ValueError) as exc:
        raise AudioError(f"no {kind} device matches {device!r} ({exc})", DEVICE_FIX) from exc
    return int(info["index"])

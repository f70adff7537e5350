"""Virtual audio hardware for tests and benchmarks: a private PulseAudio server.

``PulseServer`` starts pulseaudio exactly as ENGINEERING.md shows, in a fresh
XDG_RUNTIME_DIR: a ``speaker`` null sink (what the companion says: record
``speaker.monitor``), a ``micfeed`` null sink (play into it) and a ``mic``
remap source of ``micfeed.monitor`` (the default microphone).

Two facts found on these machines shape it:

* A null sink renders in ~2 s chunks while nothing connected asks for low
  latency, so a freshly opened stream can wait ~1.9 s for its first block.
  The server therefore keeps a low-latency ``pacat`` playing silence into each
  sink ("keepalive"), which makes the virtual devices start like hardware
  (<0.1 s). (A ``parec`` on each monitor works too, until unloading the mic
  makes ``speaker.monitor`` the default source: PulseAudio then moves that
  reader to ``mic`` when the mic returns, and the speaker stalls again.)
  The sinks' very first chunk (rendered at server start) is still 2 s long,
  so ``start()`` waits until it has passed (~2 s, once per server).
* PortAudio (ALSA host API + the pulse plugin) enumerates devices when it is
  initialised, at ``import sounddevice``. ``activate()`` puts the server's
  variables into ``os.environ`` and re-initialises PortAudio, so in-process
  code sees the ``pulse``/``default`` devices; a subprocess just gets ``env``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import numpy as np

ENV_KEYS = ("XDG_RUNTIME_DIR", "PULSE_SERVER")


class Recording:
    """A running ``parec`` writing raw s16le mono to a file; ``stop()`` ends it."""

    def __init__(self, proc: subprocess.Popen[bytes], path: Path, rate: int) -> None:
        self.proc = proc
        self.path = path
        self.rate = rate

    def stop(self) -> Path:
        """Stop recording (SIGINT lets parec flush) and return the raw file path."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=3)
        return self.path

    def samples(self) -> np.ndarray:
        """Stop and return the recording as int16 samples."""
        return np.fromfile(self.stop(), dtype="<i2")


class PulseServer:
    """Context manager: a private pulseaudio with speaker/micfeed/mic devices."""

    def __init__(self, keepalive: bool = True) -> None:
        self.keepalive = keepalive
        self.runtime_dir: Path | None = None
        self.env: dict[str, str] = {}
        self._keepalives: list[subprocess.Popen[bytes]] = []
        self._saved_env: dict[str, str | None] = {}

    @staticmethod
    def available() -> bool:
        """True when the pulseaudio, pactl, paplay and parec programs exist."""
        return all(shutil.which(tool) for tool in ("pulseaudio", "pactl", "paplay", "parec"))

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> PulseServer:
        self.runtime_dir = Path(tempfile.mkdtemp(prefix="pulse-test-"))
        self.runtime_dir.chmod(0o700)
        self.env = dict(os.environ)
        self.env["XDG_RUNTIME_DIR"] = str(self.runtime_dir)
        self.env["PULSE_SERVER"] = f"unix:{self.runtime_dir}/pulse/native"
        started = time.monotonic()
        subprocess.run(
            ["pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n",
             "--load=module-native-protocol-unix",
             "--load=module-null-sink sink_name=speaker",
             "--load=module-null-sink sink_name=micfeed",
             "--load=module-remap-source master=micfeed.monitor source_name=mic"],
            env=self.env, check=True, timeout=15, capture_output=True,
        )
        self.pactl("set-default-sink", "speaker")
        self.pactl("set-default-source", "mic")
        if self.keepalive:
            for sink in ("micfeed", "speaker"):
                with open("/dev/zero", "rb") as zeros:
                    self._keepalives.append(subprocess.Popen(
                        ["pacat", "--playback", f"--device={sink}", "--latency-msec=20",
                         "--rate=8000", "--channels=1", "--format=s16le"],
                        env=self.env, stdin=zeros, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    ))
            # Wait out the 2 s chunk each null sink rendered when it was created.
            time.sleep(max(0.2, started + 2.2 - time.monotonic()))
        return self

    def stop(self) -> None:
        """Stop keepalives and the server, restore os.environ, remove the folder."""
        self.deactivate()
        for proc in self._keepalives:
            proc.terminate()
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
        self._keepalives.clear()
        if self.runtime_dir is not None:
            subprocess.run(["pulseaudio", "--kill"], env=self.env, capture_output=True,
                           timeout=10, check=False)
            pid_file = self.runtime_dir / "pulse" / "pid"
            deadline = time.monotonic() + 3
            while pid_file.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            shutil.rmtree(self.runtime_dir, ignore_errors=True)
            self.runtime_dir = None

    def __enter__(self) -> PulseServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def activate(self) -> None:
        """Point this process at the server and make PortAudio re-enumerate devices."""
        for key in ENV_KEYS:
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = self.env[key]
        _reinit_portaudio()

    def deactivate(self) -> None:
        """Undo :meth:`activate`."""
        if not self._saved_env:
            return
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        _reinit_portaudio()

    # -- controls ----------------------------------------------------------
    def pactl(self, *args: str) -> str:
        """Run pactl against this server and return its stdout."""
        done = subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True,
                              timeout=10, check=True)
        return done.stdout.strip()

    def play_into_mic(self, wav_path: str | Path, wait: bool = True) -> subprocess.Popen[bytes]:
        """Play a WAV into ``micfeed`` so it is heard on the ``mic`` source."""
        proc = subprocess.Popen(["paplay", "--device=micfeed", str(wav_path)], env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if wait:
            proc.wait(timeout=60)
        return proc

    def record_speaker(self, out_path: str | Path, rate: int = 16000) -> Recording:
        """Record ``speaker.monitor`` (what the companion says) as raw s16le mono."""
        path = Path(out_path)
        handle = path.open("wb")
        proc = subprocess.Popen(
            ["parec", "--device=speaker.monitor", f"--rate={rate}", "--channels=1",
             "--format=s16le", "--latency-msec=10", "--raw"],
            env=self.env, stdout=handle, stderr=subprocess.DEVNULL,
        )
        handle.close()
        return Recording(proc, path, rate)

    def _module_id(self, needle: str) -> str | None:
        for line in self.pactl("list", "short", "modules").splitlines():
            if needle in line:
                return line.split()[0]
        return None

    def unload_mic(self) -> None:
        """Simulate unplugging the microphone (unload the ``mic`` remap source)."""
        module = self._module_id("source_name=mic")
        if module is not None:
            self.pactl("unload-module", module)

    def load_mic(self) -> None:
        """Plug the microphone back in and make it the default source again."""
        if self._module_id("source_name=mic") is None:
            self.pactl("load-module", "module-remap-source", "master=micfeed.monitor",
                       "source_name=mic")
        self.pactl("set-default-source", "mic")

    def loopback_on(self) -> None:
        """Let the microphone hear the speaker (the companion hearing itself)."""
        if self._module_id("module-loopback") is None:
            self.pactl("load-module", "module-loopback", "source=speaker.monitor",
                       "sink=micfeed", "latency_msec=20")

    def loopback_off(self) -> None:
        module = self._module_id("module-loopback")
        if module is not None:
            self.pactl("unload-module", module)


def _reinit_portaudio() -> None:
    """Re-run Pa_Initialize so device enumeration sees the current environment."""
    sd = sys.modules.get("sounddevice")
    if sd is None:
        return
    sd._terminate()
    sd._initialize()

"""A whole session with the network cut off (``unshare -n``): nothing needs it.

The companion runs in a fresh network namespace (no interfaces but a downed
loopback), with the real recognizer, speech engine and virtual audio devices
(PulseAudio's socket is a file, so it still reaches them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pulse import PulseServer


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    done = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    return done.returncode == 0


pytestmark = [
    pytest.mark.audio,
    pytest.mark.skipif(not _can_unshare(), reason="unshare -n needs root or user namespaces"),
]


@pytest.mark.slow
def test_a_voice_session_runs_without_a_network(pulse: PulseServer, companion_home: Path) -> None:
    env = {**os.environ, **pulse.env, "COMPANION_HOME": str(companion_home)}
    probe = subprocess.run(["unshare", "-n", sys.executable, "-c",
                            "import socket; socket.create_connection(('1.1.1.1', 53), 2)"],
                           capture_output=True, text=True, check=False, timeout=30)
    assert probe.returncode != 0 and "unreachable" in probe.stderr.lower()
    done = subprocess.run(
        ["unshare", "-n", sys.executable, "-m", "companion", "ground", "--engine",
         "pocketsphinx", "--region", "US"],
        input="next\nstop\n", env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Listening is off" not in done.stdout and "Speaking is off" not in done.stdout
    assert "we'll stop here" in done.stdout
    assert "Traceback" not in done.stderr

"""Run the real CLI in a pseudo-terminal, as a person at a keyboard would."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal:
    """`companion ...` in a pty: type lines, wait for text, send Ctrl-C."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
        master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "companion", *args], stdin=slave, stdout=slave,
            stderr=slave, env={**os.environ, **(env or {})}, cwd=cwd, close_fds=True,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.output = ""

    def _pump(self, timeout_s: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout_s)
        if ready:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            self.output += ANSI.sub("", chunk.decode("utf-8", "replace")).replace("\r", "")

    def expect(self, text: str, timeout_s: float = 20.0, after: int = 0) -> int:
        """Wait until ``text`` appears after offset ``after``; return the offset past it."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.output.find(text, after)
            if found >= 0:
                return found + len(text)
            if self.proc.poll() is not None:
                self._pump(0.2)
                found = self.output.find(text, after)
                if found >= 0:
                    return found + len(text)
                break
            self._pump(0.1)
        raise AssertionError(f"never saw {text!r}; output so far:\n{self.output[-3000:]}")

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def ctrl_c(self) -> None:
        os.killpg(self.proc.pid, signal.SIGINT)

    def wait(self, timeout_s: float = 20.0) -> int:
        deadline = time.monotonic() + timeout_s
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._pump(0.1)
        self._pump(0.1)
        if self.proc.poll() is None:
            self.proc.kill()
            raise AssertionError(f"still running; output:\n{self.output[-3000:]}")
        return int(self.proc.returncode)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)

"""Speech out: render prompts (cached) and play them on the one output stream.

Rendering happens on a worker thread so the core's loop never waits for
text-to-speech; prompts are played in the order they were asked for, and
the runtime learns exactly when each one's last sample left the speaker.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from companion.audio.output import SpeechOutput, resample
from companion.core.flow import DEFAULT_RATE_WPM
from companion.errors import CompanionError
from companion.tts import SpeechRenderer

log = logging.getLogger(__name__)

Done = Callable[[str], None]
# What a reply waits in PortAudio's buffer before it is heard: short for a quick reply,
# with room left for a busy machine (docs/decisions/007).
OUTPUT_LATENCY_S = 0.03
# 10 ms blocks: a reply waits for the next callback, then the buffer, so smaller blocks
# start it sooner (docs/decisions/007).
OUTPUT_BLOCK_S = 0.01
# The stream stops after this long with nothing to say (``SpeechOutput``): while the
# companion only listens it costs ~2.3% of a core; a reply starts it again in ~1 ms.
IDLE_SLEEP_S = 1.0
# Recent prompts kept at the output rate: "repeat" says the last one again without
# converting it (~7 ms of the reply's delay for a 5 s prompt; ~1 MB each at 44.1 kHz).
RECENT_CLIPS = 4


class AudioSpeaker:
    """The runtime's ``Speaker``: ``speak`` queues, a worker renders and plays."""

    def __init__(self, voice: str | None = None, rate_wpm: int = DEFAULT_RATE_WPM,
                 device: int | str | None = None) -> None:
        self.renderer = SpeechRenderer(voice=voice, rate_wpm=rate_wpm)
        self.output = SpeechOutput(device=device, latency_s=OUTPUT_LATENCY_S,
                                   block_s=OUTPUT_BLOCK_S, idle_sleep_s=IDLE_SLEEP_S)
        self.output.start()
        self.rate_wpm = rate_wpm
        self._jobs: queue.Queue[tuple[int, str, str, bool, int, Done] | None] = queue.Queue()
        self._generation = 0  # bumped by stop(): jobs from before are dropped
        self._pending = 0
        self._must_finish = 0  # not-interruptible prompts queued or playing
        self._lock = threading.Lock()
        self._recent: OrderedDict[tuple[str, int], np.ndarray] = OrderedDict()  # worker only
        self._worker = threading.Thread(target=self._work, name="speaker", daemon=True)
        self._worker.start()

    def speak(self, prompt_id: str, text: str, interruptible: bool, on_done: Done) -> None:
        """Queue ``text``; ``on_done(prompt_id)`` once its last sample has played."""
        with self._lock:
            self._pending += 1
            self._must_finish += not interruptible
            generation = self._generation
        if not interruptible:
            on_done = self._counting_done(on_done)
        # The rate now, not at render time: SetRate only changes prompts asked for later.
        self._jobs.put((generation, prompt_id, text, interruptible, self.rate_wpm, on_done))

    def prerender(self, texts: list[str]) -> None:
        """Render ahead in the background so the first prompts start at once."""
        self.renderer.prerender(texts, rate_wpm=self.rate_wpm)

    def set_rate(self, words_per_minute: int) -> None:
        self.rate_wpm = words_per_minute

    def stop(self) -> None:
        """Cut what is playing and drop what is queued (interruptible prompts only)."""
        with self._lock:
            self._generation += 1
        self.output.stop_speech()

    def busy(self) -> bool:
        """True while anything is queued, rendering, or still to leave the speaker."""
        with self._lock:
            if self._pending:
                return True
        return self.output.busy_until_s() > self.output.now_s()

    def must_finish(self) -> bool:
        """True while a prompt that may not be cut short (crisis numbers) is still to end."""
        with self._lock:
            return self._must_finish > 0

    def _counting_done(self, on_done: Done) -> Done:
        def done(prompt_id: str) -> None:
            with self._lock:
                self._must_finish -= 1
            on_done(prompt_id)
        return done

    def close(self) -> None:
        self._jobs.put(None)
        self._worker.join(timeout=2)
        self.output.close()
        self.renderer.close()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            generation, prompt_id, text, interruptible, rate_wpm, on_done = job
            try:
                if generation == self._generation or not interruptible:
                    self._play(prompt_id, text, interruptible, rate_wpm, on_done)
            finally:
                with self._lock:
                    self._pending -= 1

    def _clip(self, text: str, rate_wpm: int) -> np.ndarray:
        """``text`` rendered and converted to the output rate (recent ones kept)."""
        key = (text, rate_wpm)
        clip = self._recent.pop(key, None)
        if clip is None:
            samples, rate = self.renderer.render(text, rate_wpm=rate_wpm)
            clip = resample(samples, rate, self.output.sample_rate)
        self._recent[key] = clip
        while len(self._recent) > RECENT_CLIPS:
            self._recent.popitem(last=False)
        return clip

    def _play(self, prompt_id: str, text: str, interruptible: bool, rate_wpm: int,
              on_done: Done) -> None:
        try:
            samples = self._clip(text, rate_wpm)
        except CompanionError as err:
            log.warning("could not render %r: %s", prompt_id, err)
            on_done(prompt_id)  # the session must not wait for speech that never comes
            return
        try:
            self.output.play(samples, tag=prompt_id, interruptible=interruptible,
                             on_done=lambda *_: on_done(prompt_id))
        except CompanionError as err:  # the speaker went away while it slept
            log.warning("could not play %r: %s", prompt_id, err)
            on_done(prompt_id)

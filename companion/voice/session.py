"""`companion voice teach` by voice: the companion says each phrase, the person says it back.

A short linear session, so it runs as a plain loop in the shell rather than a
flow machine: say the phrase, record one utterance (cut by pocketsphinx's VAD),
and keep it as a take unless the command grammar hears "skip" or "stop" in it.
Typed lines work the same (``skip``, ``stop``, or Enter to go on), so the
keyboard can drive it too. Adaptation starts right after the last take.
"""

from __future__ import annotations

import argparse
import queue
import sys
import threading
import time
from collections import deque

import numpy as np

from companion.errors import AudioError, CompanionError
from companion.intents import Vocabulary
from companion.recognition.base import FRAME, SAMPLE_RATE_HZ, Grammar
from companion.voice.adapt import Take
from companion.voice.teaching import TeachContent, teaching_phrases

CONTROL = ("skip", "stop")
ONSET_FRAMES, PREROLL_FRAMES = 3, 10  # speech frames in the last 5 that open a take; kept before
END_SILENCE_S = 0.7  # quiet that ends a take
MAX_TAKE_S = 8.0
WAIT_S = 8.0  # no speech for this long: nothing heard


def _typed_lines() -> queue.Queue[str]:
    """Lines typed on stdin, read by a daemon thread (the keyboard fallback)."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in sys.stdin:
            lines.put(line.strip().lower())

    threading.Thread(target=read, name="typed", daemon=True).start()
    return lines


def record_take(mic: object, typed: queue.Queue[str]) -> np.ndarray | str | None:
    """One utterance from ``mic`` (int16 samples), a typed word, or None when nothing came."""
    import pocketsphinx as ps

    vad = ps.Vad(ps.Vad.MEDIUM_STRICT, SAMPLE_RATE_HZ, FRAME / SAMPLE_RATE_HZ)
    pending = np.zeros(0, np.int16)
    recent: deque[bool] = deque(maxlen=5)
    preroll: deque[np.ndarray] = deque(maxlen=PREROLL_FRAMES)
    take: list[np.ndarray] | None = None
    quiet = 0
    waited = 0.0
    while True:
        if not typed.empty():
            return typed.get()
        block = mic.read(0.2)  # type: ignore[attr-defined]
        if block is None:
            waited += 0.2
            if take is None and waited >= WAIT_S:
                return None
            continue
        pending = np.concatenate([pending, np.asarray(block, np.int16).reshape(-1)])
        while pending.size >= FRAME:
            frame, pending = pending[:FRAME], pending[FRAME:]
            speech = vad.is_speech(frame.tobytes())
            waited += FRAME / SAMPLE_RATE_HZ
            if take is None:
                preroll.append(frame)
                recent.append(speech)
                if sum(recent) >= ONSET_FRAMES:
                    take, quiet = list(preroll), 0
                elif waited >= WAIT_S:
                    return None
                continue
            take.append(frame)
            quiet = 0 if speech else quiet + 1
            if quiet * FRAME / SAMPLE_RATE_HZ >= END_SILENCE_S or \
                    len(take) * FRAME / SAMPLE_RATE_HZ >= MAX_TAKE_S:
                return np.concatenate(take)


def _control_word(recognizer: object, samples: np.ndarray, phrase: str) -> str | None:
    """"skip" or "stop" when that, not the phrase, is what the take says."""
    recognizer.set_grammar(Grammar(phrases=tuple(dict.fromkeys((phrase, *CONTROL)))))  # type: ignore[attr-defined]
    recognizer.reset()  # type: ignore[attr-defined]
    padded = np.concatenate([samples, np.zeros(SAMPLE_RATE_HZ, np.int16)])
    hyps = recognizer.accept(padded) + recognizer.flush()  # type: ignore[attr-defined]
    heard = [h.text for h in hyps if h.final and h.text]
    return heard[0] if heard and heard[0] in CONTROL and heard[0] != phrase else None


def run_teaching(args: argparse.Namespace) -> int:
    """The spoken teaching session; returns the exit code."""
    from companion.audio.input import MicInput
    from companion.audio.speaker import AudioSpeaker
    from companion.recognition.pocketsphinx_engine import PocketsphinxRecognizer
    from companion.settings import Settings
    from companion.voice.teach import MIN_TAKES, check, teach

    settings = Settings.from_options(args)
    if settings.text:
        raise CompanionError("teaching your voice needs a microphone",
                             "leave out --text, or teach from recordings: "
                             "companion voice teach --from FOLDER")
    content = TeachContent.load()
    vocabulary = Vocabulary.load()
    phrases = teaching_phrases(vocabulary, _disclosure())
    prompts = content.prompts
    speaker = AudioSpeaker(voice=settings.voice, rate_wpm=settings.rate_wpm,
                           device=settings.output_device)
    done = threading.Event()

    def say(text: str) -> None:
        done.clear()
        print(text, flush=True)
        speaker.speak("voice", text, False, lambda _id: done.set())
        done.wait(30.0)

    try:
        mic = MicInput(device=settings.input_device)
        mic.start()
    except AudioError:
        speaker.close()
        raise
    recognizer = PocketsphinxRecognizer()
    typed = _typed_lines()
    takes: list[Take] = []
    stopped = False
    try:
        say(prompts["intro"])
        for number, phrase in enumerate(phrases, 1):
            for attempt in range(content.takes_per_phrase):
                print(f"[{number}/{len(phrases)}] take {attempt + 1} of "
                      f"{content.takes_per_phrase}: {phrase}", flush=True)
                say(prompts["say_this"].format(phrase=phrase) if attempt == 0
                    else prompts["again"])
                mic.drain()
                print("(listening)", flush=True)
                heard = record_take(mic, typed)
                if heard is None:
                    say(prompts["nothing_heard"])
                    continue
                word = heard if isinstance(heard, str) else \
                    _control_word(recognizer, heard, phrase)
                if word == "stop":
                    stopped = True
                    break
                if word == "skip":
                    say(prompts["skipped"])
                    break
                if isinstance(heard, np.ndarray):
                    takes.append(Take(phrase, heard))
            if stopped:
                break
        if len(takes) < MIN_TAKES:
            say(prompts["too_few"])
            return 1
        say(prompts["stopped"] if stopped else prompts["done"])
        started = time.monotonic()
        profile = teach(takes)
        print(f"Learned your voice from {profile.takes} takes in "
              f"{time.monotonic() - started:.1f} s.", flush=True)
        say(prompts["ready"])
    finally:
        mic.close()
        speaker.close()
    figures = check(takes, vocabulary)
    print(f"Check on {figures['on']}: commands heard right {figures['heard_without']}/"
          f"{figures['commands']} without the profile, {figures['heard_with']}/"
          f"{figures['commands']} with it.", flush=True)
    return 0


def _disclosure() -> str | None:
    """The person's own disclosure phrase, when they set one (else None)."""
    from companion.rehearse.phrases import PhraseBook
    from companion.store import Store

    try:
        with Store.open() as store:
            phrase = PhraseBook(store).all().get("disclosure")
    except CompanionError:
        return None
    return phrase.text if phrase is not None and phrase.custom else None

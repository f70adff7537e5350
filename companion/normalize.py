"""Normalize recognizer output and typed text so matching is about words, not spelling.

"I'm", "im", "I am" and "I AM." all become "i am"; digits become words;
punctuation goes. Used by intent matching, crisis matching and phrase scoring.
"""

from __future__ import annotations

import re

_CONTRACTIONS = {
    "i'm": "i am", "im": "i am", "i've": "i have", "ive": "i have", "i'll": "i will",
    "i'd": "i would", "you're": "you are", "youre": "you are", "it's": "it is",
    "that's": "that is", "thats": "that is", "don't": "do not", "dont": "do not",
    "can't": "can not", "cant": "can not", "cannot": "can not", "won't": "will not",
    "wont": "will not", "isn't": "is not", "isnt": "is not", "doesn't": "does not",
    "doesnt": "does not", "didn't": "did not", "didnt": "did not", "let's": "let us",
    "lets": "let us", "we're": "we are", "they're": "they are", "he's": "he is",
    "she's": "she is", "what's": "what is", "there's": "there is", "wanna": "want to",
    "gonna": "going to", "gotta": "got to", "ok": "okay", "o.k.": "okay",
    "shouldn't": "should not", "wouldn't": "would not", "couldn't": "could not",
    "aren't": "are not", "wasn't": "was not", "weren't": "were not", "we'll": "we will",
    "you'll": "you will", "i'd've": "i would have", "y'all": "you all",
}

_NUMBERS = {
    "0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five",
    "6": "six", "7": "seven", "8": "eight", "9": "nine", "10": "ten", "11": "eleven",
    "12": "twelve",
}

_TOKEN = re.compile(r"[a-z0-9]+(?:['.][a-z0-9]+)*")


def words(text: str) -> list[str]:
    """Lower-case word list with contractions expanded and small numbers spelled out."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    out: list[str] = []
    for token in _TOKEN.findall(text):
        token = token.strip(".")
        expanded = _CONTRACTIONS.get(token) or _NUMBERS.get(token) or token.replace("'", "")
        out.extend(expanded.split())
    return out


def normalize(text: str) -> str:
    """One space-separated normalized string (see :func:`words`)."""
    return " ".join(words(text))

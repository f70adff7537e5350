"""Normalize recognizer output and typed text so matching is about words, not spelling.

"I'm", "im", "I am" and "I AM." all become "i am"; numbers up to 999 become words;
punctuation goes. Used by intent matching, crisis matching and phrase scoring.
:func:`root` goes one step further for matching by meaning: "leaving", "left"
and "leave" share one root.
"""

from __future__ import annotations

import re

CONTRACTIONS = {
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

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
         "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen"]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def spell_number(value: int) -> str:
    """0..999 as words ("thirty", "one hundred five"); larger numbers stay digits."""
    if value < 20:
        return _ONES[value]
    if value < 100:
        tens, ones = divmod(value, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    if value < 1000:
        hundreds, rest = divmod(value, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {spell_number(rest)}" if rest else "")
    return str(value)


# Letters and digits of any script (a Korean Vosk model's words must survive too).
_TOKEN = re.compile(r"[^\W_]+(?:['.][^\W_]+)*")


def words(text: str) -> list[str]:
    """Lower-case word list with contractions expanded and small numbers spelled out."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    out: list[str] = []
    for token in _TOKEN.findall(text):
        token = token.strip(".")
        if token.isdigit():
            out.extend(spell_number(int(token)).split())
            continue
        expanded = CONTRACTIONS.get(token) or token.replace("'", "")
        out.extend(expanded.split())
    return out


def normalize(text: str) -> str:
    """One space-separated normalized string (see :func:`words`)."""
    return " ".join(words(text))


# Forms that no suffix rule reaches, to their root.
_IRREGULAR = {
    "left": "leave", "ran": "run", "went": "go", "gone": "go", "felt": "feel",
    "thought": "think", "tried": "try", "tries": "try", "got": "get", "gotten": "get",
    "took": "take", "taken": "take", "came": "come", "said": "say", "kept": "keep",
    "stood": "stand", "sat": "sit", "held": "hold", "fought": "fight", "knew": "know",
    "known": "know", "told": "tell", "made": "make", "meant": "mean", "learnt": "learn",
    "learned": "learn", "better": "better", "calmer": "calm", "harder": "hard",
    "worse": "bad", "worst": "bad", "upsetting": "upset", "children": "child",
    "was": "be", "were": "be", "is": "be", "am": "be", "are": "be", "been": "be",
}


def root(word: str) -> str:
    """A word's root for matching: "leaving", "leaves", "left" -> "leav"."""
    word = _IRREGULAR.get(word, word)
    for suffix, keep in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""),
                         ("s", ""), ("ly", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)] + keep
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # "stopped" -> "stopp" -> "stop"
            break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def roots(text: str) -> tuple[str, ...]:
    """The roots of ``text``'s normalized words."""
    return tuple(root(w) for w in words(text))

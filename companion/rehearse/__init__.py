"""Rehearsing the disclosure phrase: phrases, scoring, the practice flow, progress."""

MODES = ("listen", "along", "all")  # listen; repeat after me; say it all from memory

"""Rehearsing the disclosure phrase: phrases, scoring, the practice flow, progress."""

"""companion: an offline, voice-first grounding companion."""

__version__ = "0.1.0"

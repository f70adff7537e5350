"""Guided breathing (`companion breathe`): patterns, a pure flow, cues on the stream clock."""

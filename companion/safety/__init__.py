"""The safety check: crisis language found on every path, answered with the right numbers.

See :mod:`companion.safety.detector` for how crisis language is found and
:mod:`companion.safety.respond` for what is shown and said.
"""

from companion.safety.detector import CrisisDetector, Finding
from companion.safety.helplines import Helplines, resolve_region, spell_number
from companion.safety.respond import CrisisResponse, Safety

__all__ = [
    "CrisisDetector", "CrisisResponse", "Finding", "Helplines", "Safety", "resolve_region",
    "spell_number",
]

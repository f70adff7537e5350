"""``python -m companion.breathe ...`` runs ``companion breathe ...``."""

import sys

from companion.breathe.cli import main

sys.exit(main())

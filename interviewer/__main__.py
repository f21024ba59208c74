"""``python -m interviewer`` — see :mod:`interviewer.cli`."""

import sys

from .cli import main

sys.exit(main())

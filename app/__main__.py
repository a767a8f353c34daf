"""``python -m app`` is ``atrium``."""

import sys

from app.cli import main

sys.exit(main())

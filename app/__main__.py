"""``python -m app`` is ``atrium``."""

import sys

from app.cli.main import main

sys.exit(main())

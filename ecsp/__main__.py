"""``python -m ecsp``."""

import sys

from ecsp.cli import main

sys.exit(main())

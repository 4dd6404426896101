"""``python -m notebook_guard_local.demo [--scenario FILE] [--report FILE] [--action ACTION]``."""

import sys

from notebook_guard_local.demo.run import main

sys.exit(main())

"""pytest setup for the Ray bridge's own tests: the package is imported from ``python/``."""

import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

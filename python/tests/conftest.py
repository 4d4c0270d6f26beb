"""pytest setup for the Ray bridge's own tests: the package is imported from ``python/``."""

import os
import sys
import tempfile

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

# Ray writes per-user state under ~ (a local ray.init() creates ~/.ray/auth_token, which turns token
# auth on for every later `ray start` of that user). The tests that start Ray (test_bench_ray.py starts
# a local head through judgeflow_ray.bench) write into a throw-away home, not the developer's or CI's.
os.environ["HOME"] = tempfile.mkdtemp(prefix="judgeflow-pytest-home-")

"""pytest setup for judgeflow_lmeval's tests (run by the lmeval venv's python; scripts/test.sh).

The package is imported from ``python/``; its import sets the offline Hugging Face defaults and
NLTK_DATA (under JUDGEFLOW_HOME, default the checkout's .judgeflow).
"""

import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
sys.path.insert(0, os.path.dirname(__file__))

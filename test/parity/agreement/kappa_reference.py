"""Reference numbers for the Cohen's kappa parity test, from scikit-learn's cohen_kappa_score.

stdin: JSON `{"cases": [{"y1": [...], "y2": [...], "weights": null | "linear" | "quadratic",
"labels": null | [...]}]}`. stdout: `{"kappas": [float | null], "versions": {...}}`, null where
scikit-learn returns nan (kappa undefined). Floats are written with repr (shortest round-trip), so
the comparison can be exact.
"""

import json
import math
import sys
import warnings
from importlib.metadata import version

from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import cohen_kappa_score


def main():
    request = json.load(sys.stdin)
    kappas = []
    with warnings.catch_warnings():
        # The degenerate cases warn (kappa undefined); the nan they return is what is compared.
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        # and the one about a single label in both raters, which is one of the cases meant
        warnings.simplefilter("ignore", UserWarning)
        for case in request["cases"]:
            kappa = cohen_kappa_score(
                case["y1"], case["y2"], weights=case.get("weights"), labels=case.get("labels")
            )
            kappas.append(None if math.isnan(kappa) else kappa)
    versions = {name: version(name) for name in ("scikit-learn", "numpy", "scipy")}
    print(json.dumps({"kappas": kappas, "versions": versions}))


if __name__ == "__main__":
    main()

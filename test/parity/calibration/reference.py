"""Reference numbers for the calibration-statistics parity test (test/unit/parity-calibration.test.ts).

stdin: JSON `{"fleiss": [table, ...], "alpha": [{"data": [[value | null, ...], ...], "level",
"value_domain": [...] | null}], "spearman": [{"x": [...], "y": [...]}], "kappa": [{"y1", "y2"}],
"confusion": [{"y1", "y2", "labels"}]}`.
stdout: statsmodels 0.15.0's fleiss_kappa, krippendorff 0.9.0's alpha, SciPy 1.17.1's spearmanr
(correlation and p-value) and scikit-learn 1.9.1's cohen_kappa_score / confusion_matrix for each case,
and "versions". Floats are written with repr (shortest round-trip); nan is null, and so is an alpha
the package refuses (one value in the domain, no unit rated twice).
"""

import json
import math
import sys
import warnings
from importlib.metadata import version

import krippendorff
import numpy as np
from scipy import stats
from sklearn.metrics import cohen_kappa_score, confusion_matrix
from statsmodels.stats.inter_rater import fleiss_kappa


def number(x):
    x = float(x)
    return None if math.isnan(x) else x


def alpha(case):
    data = [[np.nan if v is None else v for v in rater] for rater in case["data"]]
    kwargs = {"level_of_measurement": case["level"]}
    if case.get("value_domain") is not None:
        kwargs["value_domain"] = case["value_domain"]
    try:
        return number(krippendorff.alpha(reliability_data=data, **kwargs))
    except ValueError:
        return None


def main():
    request = json.load(sys.stdin)
    out = {}
    with warnings.catch_warnings():
        # constant input, 0/0 in the undefined cases: the nan returned is what is compared
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            out["fleiss"] = [number(fleiss_kappa(np.asarray(t), method="fleiss")) for t in request["fleiss"]]
            out["alpha"] = [alpha(case) for case in request["alpha"]]
            spearman = []
            for case in request["spearman"]:
                res = stats.spearmanr(case["x"], case["y"])
                spearman.append({"rho": number(res.statistic), "p": number(res.pvalue)})
            out["spearman"] = spearman
            out["kappa"] = [number(cohen_kappa_score(c["y1"], c["y2"])) for c in request.get("kappa", [])]
            out["confusion"] = [
                confusion_matrix(c["y1"], c["y2"], labels=c["labels"]).tolist()
                for c in request.get("confusion", [])
            ]
    out["versions"] = {
        name: version(name) for name in ("statsmodels", "scipy", "numpy", "krippendorff", "scikit-learn")
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()

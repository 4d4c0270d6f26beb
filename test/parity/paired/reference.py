"""Reference numbers for the paired-statistics parity test (test/unit/parity-paired.test.ts).

stdin: JSON `{"wilcoxon": [{"a": [...], "b": [...]}], "binomtest": [{"k", "n", "p"}],
"mcnemar": [{"table": [[both, a_only], [b_only, neither]]}], "wilson": [{"count", "nobs",
"confidence"}], "holm": [[p, ...]]}`.
stdout: the same keys with SciPy 1.17.1 / statsmodels 0.15.0's answers, and "versions". Floats are
written with repr (shortest round-trip); nan is null; a wilcoxon case SciPy refuses is
`{"error": message}`.
"""

import json
import math
import sys
import warnings
from importlib.metadata import version

import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint


def number(x):
    x = float(x)
    return None if math.isnan(x) else x


def main():
    request = json.load(sys.stdin)
    out = {}
    with warnings.catch_warnings():
        # Empty samples, all-zero differences and ties warn; the numbers returned are what is compared.
        warnings.simplefilter("ignore")
        wilcoxon = []
        for case in request["wilcoxon"]:
            d = np.asarray(case["b"], dtype=np.float64) - np.asarray(case["a"], dtype=np.float64)
            try:
                res = stats.wilcoxon(d)
            except ValueError as error:
                # a single pair with difference 0: SciPy's permutation test refuses one observation
                wilcoxon.append({"error": str(error)})
                continue
            wilcoxon.append({"statistic": number(res.statistic), "pvalue": number(res.pvalue)})
        out["wilcoxon"] = wilcoxon
        out["binomtest"] = [
            number(stats.binomtest(c["k"], c["n"], c["p"]).pvalue) for c in request["binomtest"]
        ]
        results = []
        for case in request["mcnemar"]:
            table = np.asarray(case["table"], dtype=np.int64)
            discordant = int(table[0, 1] + table[1, 0])
            res = mcnemar(table, exact=discordant < 25, correction=True)
            results.append({"statistic": number(res.statistic), "pvalue": number(res.pvalue)})
        out["mcnemar"] = results
        wilson = []
        for case in request["wilson"]:
            low, high = proportion_confint(
                case["count"], case["nobs"], alpha=1 - case["confidence"], method="wilson"
            )
            wilson.append([number(low), number(high)])
        out["wilson"] = wilson
        out["holm"] = [
            [number(p) for p in multipletests(ps, method="holm")[1]] for ps in request["holm"]
        ]
    out["versions"] = {name: version(name) for name in ("scipy", "statsmodels", "numpy")}
    print(json.dumps(out))


if __name__ == "__main__":
    main()

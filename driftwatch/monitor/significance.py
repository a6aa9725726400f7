"""Two-sample p-values that gate the effect-size verdicts in ``drift``.

Kolmogorov-Smirnov for numbers (asymptotic: exact is slow beyond a few thousand rows and agrees at
window sizes), chi-square on the 2 x k table of category counts for categories. Both ignore nulls.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def two_sample_p_value(reference: pd.Series, current: pd.Series, kind: str) -> float:
    """P-value of "both samples come from one distribution"; 1.0 when there is nothing to test."""
    reference, current = reference.dropna(), current.dropna()
    if reference.empty or current.empty:
        return 1.0
    if kind == "numerical":
        result = stats.ks_2samp(
            reference.to_numpy(dtype=float), current.to_numpy(dtype=float), method="asymp"
        )
        return float(result.pvalue)
    return _chi_square_p_value(reference, current)


def _chi_square_p_value(reference: pd.Series, current: pd.Series) -> float:
    categories = pd.Index(pd.concat([reference, current]).unique())
    table = np.vstack(
        [
            reference.value_counts().reindex(categories, fill_value=0).to_numpy(),
            current.value_counts().reindex(categories, fill_value=0).to_numpy(),
        ]
    )
    if table.shape[1] < 2:
        return 1.0
    return float(stats.chi2_contingency(table, correction=False).pvalue)

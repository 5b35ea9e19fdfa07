"""A small dense linear solve in plain Python, for the model layer's few equations (the
expected visits per tier), so that loading and validating a scenario need not import NumPy.

Gaussian elimination with partial pivoting, the method of LAPACK's ``gesv`` behind
``numpy.linalg.solve``; results agree with it to rounding (a few units in the last place),
not bit for bit (tests/test_startup.py).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["SingularMatrix", "solve"]


class SingularMatrix(ValueError):
    """The matrix has no inverse (an exact zero pivot), as ``numpy.linalg.LinAlgError``."""


def solve(a: Sequence[Sequence[float]], b: Sequence[float]) -> list[float]:
    """``x`` with ``a @ x == b`` for a square matrix ``a`` given as rows."""
    n = len(b)
    m = [[float(v) for v in row] for row in a]
    x = [float(v) for v in b]
    if len(m) != n or any(len(row) != n for row in m):
        raise ValueError(f"solve needs an n x n matrix and n values, got {len(m)} rows "
                         f"for {n} values")
    for k in range(n):
        p = max(range(k, n), key=lambda i: abs(m[i][k]))
        if m[p][k] == 0.0:
            raise SingularMatrix("singular matrix")
        if p != k:
            m[k], m[p] = m[p], m[k]
            x[k], x[p] = x[p], x[k]
        pivot = m[k]
        for i in range(k + 1, n):
            row = m[i]
            f = row[k] / pivot[k]
            if f != 0.0:
                for j in range(k + 1, n):
                    row[j] -= f * pivot[j]
                x[i] -= f * x[k]
    for i in range(n - 1, -1, -1):
        row = m[i]
        s = x[i]
        for j in range(i + 1, n):
            s -= row[j] * x[j]
        x[i] = s / row[i]
    return x

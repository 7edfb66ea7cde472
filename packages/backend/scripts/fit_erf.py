"""Fits the rational erf of assembly/gelu.ts's forward: erf(z) ~ z*P(z^2)/Q(z^2) on [0, 4], P and Q of degree 5,
Q(0) = 1. Linearised least squares on the error of erf itself (residual z*(P - f*Q)/Q_previous, f = erf(z)/z),
iterated with Lawson's reweighting toward the minimax solution; keeps the iterate with the smallest maximum error.
Prints the coefficients rounded to float32 and the maximum error when evaluated in float32 by Horner's rule.
Needs numpy and scipy; a development aid only (the build uses the coefficients committed in assembly/gelu.ts)."""
import numpy as np
from scipy.special import erf

DEGREE, Z_MAX = 5, 4.0


def powers(t, first, last):
    return np.vstack([t**k for k in range(first, last + 1)]).T


def fit(iterations=60):
    z = np.unique(np.concatenate([np.linspace(0, Z_MAX, 20000), (1 + np.cos(np.linspace(0, np.pi, 4000))) * Z_MAX / 2]))
    z = z[z > 0]
    t, f = z * z, erf(z) / z
    weights, q_previous, best = np.ones_like(z), np.ones_like(z), None
    for _ in range(iterations):
        design = np.hstack([powers(t, 0, DEGREE), -f[:, None] * powers(t, 1, DEGREE)])
        scale = z * np.sqrt(weights) / q_previous
        coef, *_ = np.linalg.lstsq(design * scale[:, None], f * scale, rcond=None)
        p, q = coef[: DEGREE + 1], np.concatenate([[1.0], coef[DEGREE + 1 :]])
        q_previous = np.polyval(q[::-1], t)
        error = z * np.polyval(p[::-1], t) / q_previous - erf(z)
        worst = np.abs(error).max()
        if best is None or worst < best[0]:
            best = (worst, p, q)
        weights = weights * (np.abs(error) / worst + 1e-3)
        weights /= weights.mean()
    return best


def horner32(coef, t):
    acc = np.full_like(t, np.float32(coef[-1]))
    for c in coef[-2::-1]:
        acc = (acc * t + np.float32(c)).astype(np.float32)
    return acc


worst, p, q = fit()
z = np.linspace(0, Z_MAX, 2_000_001).astype(np.float32)
t = (z * z).astype(np.float32)
approx = (z * horner32(p, t) / horner32(q, t)).astype(np.float32)
print('P (z^0 first):', [float(np.float32(c)) for c in p])
print('Q (z^0 first):', [float(np.float32(c)) for c in q])
print(f'max |error|: {worst:.3g} exact, {np.abs(approx.astype(np.float64) - erf(z.astype(np.float64))).max():.3g} in float32')

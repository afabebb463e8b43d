# Reference BD figures for tests/unit/test_bdrate.cpp, from SciPy (Debian: python3-scipy).
# Run: /usr/bin/python3 tests/reference/bd_scipy.py
import numpy as np
from scipy.interpolate import PchipInterpolator, Akima1DInterpolator
r1 = np.array([9487.76, 4593.60, 2486.44, 1358.24]); q1 = np.array([40.037, 38.615, 36.845, 34.851])
r2 = np.array([9787.80, 4469.00, 2451.52, 1356.24]); q2 = np.array([40.121, 38.651, 36.970, 34.987])
def bd(method):
    o1, o2 = np.argsort(q1), np.argsort(q2)
    l1, l2 = np.log(r1[o1]), np.log(r2[o2])
    a, b = max(q1.min(), q2.min()), min(q1.max(), q2.max())
    if method == 'cubic':
        p1, p2 = np.polyint(np.polyfit(q1[o1], l1, 3)), np.polyint(np.polyfit(q2[o2], l2, 3))
        i1, i2 = np.polyval(p1, b) - np.polyval(p1, a), np.polyval(p2, b) - np.polyval(p2, a)
    else:
        C = PchipInterpolator if method == 'pchip' else Akima1DInterpolator
        i1, i2 = C(q1[o1], l1).integrate(a, b), C(q2[o2], l2).integrate(a, b)
    rate = (np.exp((i2 - i1) / (b - a)) - 1) * 100
    o1, o2 = np.argsort(r1), np.argsort(r2)
    l1, l2 = np.log(r1[o1]), np.log(r2[o2])
    a, b = max(l1.min(), l2.min()), min(l1.max(), l2.max())
    if method == 'cubic':
        p1, p2 = np.polyint(np.polyfit(l1, q1[o1], 3)), np.polyint(np.polyfit(l2, q2[o2], 3))
        j1, j2 = np.polyval(p1, b) - np.polyval(p1, a), np.polyval(p2, b) - np.polyval(p2, a)
    else:
        C = PchipInterpolator if method == 'pchip' else Akima1DInterpolator
        j1, j2 = C(l1, q1[o1]).integrate(a, b), C(l2, q2[o2]).integrate(a, b)
    return rate, (j2 - j1) / (b - a)
for m in ['pchip', 'cubic', 'akima']:
    print(m, '%.10f %.10f' % bd(m))

"""Every registered adstock and saturation: its formula at known points, and the
derivatives the fit uses against finite differences. A new form added to the registry
is picked up by the parametrised tests here."""
import numpy as np
import pytest

from media_impact.mmm import components as comp


def _interior(bounds: dict, names, rng, n: int = 3) -> np.ndarray:
    lo = np.array([bounds[k][0] for k in names])
    hi = np.array([bounds[k][1] for k in names])
    return lo + (hi - lo) * rng.uniform(0.2, 0.8, (n, len(names)))


@pytest.mark.parametrize("name", sorted(comp.ADSTOCKS))
def test_adstock_weights_and_gradient(name):
    rng = np.random.default_rng(0)
    cls = comp.ADSTOCKS[name]
    form = comp.adstock(name, 8, normalize=True)
    theta = _interior(cls.bounds, cls.params, rng)
    W = form.weights(theta)
    assert W.shape == (3, 8) and np.allclose(W.sum(axis=1), 1.0) and (W >= 0).all()
    dW = form.weights_grad(theta, comp.DEFAULT_BOUNDS)
    for p in range(len(cls.params)):
        h = 1e-6
        up, dn = theta.copy(), theta.copy()
        up[:, p] += h
        dn[:, p] -= h
        num = (form.weights(up) - form.weights(dn)) / (2 * h)
        np.testing.assert_allclose(dW[:, :, p], num, rtol=1e-5, atol=1e-7)


def test_geometric_weights_are_powers_of_alpha():
    W = comp.adstock("geometric", 4, normalize=False).weights(np.array([[0.5]]))
    np.testing.assert_allclose(W[0], [1.0, 0.5, 0.25, 0.125])


@pytest.mark.parametrize("name", sorted(comp.SATURATIONS))
def test_saturation_derivatives_match_finite_differences(name):
    rng = np.random.default_rng(1)
    cls = comp.SATURATIONS[name]
    form = comp.saturation(name)
    p = _interior(cls.bounds, cls.params, rng)                 # (C=3, n)
    A = rng.uniform(0.05, 3.0, (4, 5, 3))
    F, dfda, dfdp = form.value_and_grads(A, p)
    np.testing.assert_array_equal(F, form.value(A, p))
    assert ((F >= 0) & (F < 1)).all() and form.value(np.zeros((1, 3)), p).max() == 0.0
    h = 1e-6
    np.testing.assert_allclose(dfda, (form.value(A + h, p) - form.value(A - h, p)) / (2 * h), rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(form.derivative(A, p), dfda, rtol=1e-10)
    for j in range(len(cls.params)):
        up, dn = p.copy(), p.copy()
        up[:, j] += h
        dn[:, j] -= h
        np.testing.assert_allclose(dfdp[..., j], (form.value(A, up) - form.value(A, dn)) / (2 * h),
                                   rtol=1e-5, atol=1e-9)


def test_hill_is_half_at_the_half_saturation_point():
    f = comp.saturation("hill").value(np.array([[2.0, 1.0]]), np.array([[2.0, 3.0], [1.0, 0.7]]))
    np.testing.assert_allclose(f, [[0.5, 0.5]])


def test_unknown_forms_name_the_known_ones():
    with pytest.raises(ValueError, match="known: geometric, weibull_cdf, weibull_pdf"):
        comp.adstock("delayed", 8)
    with pytest.raises(ValueError, match="hill, logistic"):
        comp.saturation("michaelis")
    assert comp.param_names("geometric", "hill") == ("alpha", "half_sat", "slope")

"""BG/NBD with time-invariant covariates recovers known effects from data drawn with them."""

from __future__ import annotations

import numpy as np
import pytest

from vinculo.analytics.stats.bgnbd import BGNBD
from vinculo.analytics.stats.covariates import CovariateBGNBD, _loglik_grad
from vinculo.analytics.stats.simulate import simulate_bgnbd_covariates

TRUE = {"r": 0.25, "alpha0": 4.0, "a0": 0.8, "b0": 2.5}
PURCHASE = [0.7, -0.4]  # "vip" customers buy e^0.7 = 2x as often, "web" ones 0.67x
A_EFFECTS = [0.0, 0.8]  # "web" customers' drop-out Beta has a larger a: they leave sooner


@pytest.fixture(scope="module")
def synthetic():
    rng = np.random.default_rng(20_261_206)
    n = 40_000
    z = np.column_stack([rng.integers(0, 2, n), rng.integers(0, 2, n)]).astype(float)
    T = rng.uniform(30, 78, n)
    x, tx, T = simulate_bgnbd_covariates(z, *TRUE.values(), T, purchase_effects=PURCHASE,
                                         a_effects=A_EFFECTS, rng=rng)
    # Recorded data has daily grain (time unit: weeks).
    return x, np.round(tx * 7) / 7, np.round(T * 7) / 7, z


@pytest.fixture(scope="module")
def fitted(synthetic):
    x, tx, T, z = synthetic
    return CovariateBGNBD.fit(x, tx, T, z, ["vip", "web"])


def test_recovers_known_effects_within_their_standard_errors(fitted):
    assert fitted.converged
    rows = {(e["covariate"], e["process"]): e for e in fitted.effects()}
    truth = {("vip", "purchase"): 0.7, ("web", "purchase"): -0.4,
             ("vip", "dropout_a"): 0.0, ("web", "dropout_a"): 0.8,
             ("vip", "dropout_b"): 0.0, ("web", "dropout_b"): 0.0}
    assert set(rows) == set(truth)
    for key, value in truth.items():
        row = rows[key]
        assert abs(row["coefficient"] - value) < 3 * row["standard_error"], (key, row)
        assert row["factor"] == pytest.approx(np.exp(row["coefficient"]))
    # Purchase effects are sharply identified at this size.
    assert rows[("vip", "purchase")]["standard_error"] < 0.05
    for name, value in TRUE.items():
        assert fitted.params[name] == pytest.approx(value, rel=0.15), name


def test_ignoring_the_covariates_fits_worse(fitted, synthetic):
    x, tx, T, _ = synthetic
    plain = BGNBD.fit(x, tx, T)
    # Likelihood-ratio statistic for six effects: far beyond any chi-square(6) quantile.
    assert 2 * (fitted.log_likelihood - plain.log_likelihood) > 100


def test_without_covariates_it_is_plain_bgnbd(synthetic):
    x, tx, T, _ = synthetic
    plain = BGNBD.fit(x, tx, T)
    none = CovariateBGNBD.fit(x, tx, T, np.zeros((len(x), 0)))
    assert none.log_likelihood == pytest.approx(plain.log_likelihood, abs=1e-4)
    assert (none.r, none.alpha0, none.a0, none.b0) == pytest.approx(
        (plain.r, plain.alpha, plain.a, plain.b), rel=1e-4)


def test_purchase_effects_only_and_p_alive(synthetic):
    x, tx, T, z = synthetic
    m = CovariateBGNBD.fit(x[:5000], tx[:5000], T[:5000], z[:5000], ["vip", "web"],
                           dropout=False)
    assert m.a_effects is None and m.b_effects is None
    assert [e["process"] for e in m.effects()] == ["purchase", "purchase"]
    p = m.probability_alive(x[:10], tx[:10], T[:10], z[:10])
    assert p.shape == (10,) and np.all((p > 0) & (p <= 1))
    assert np.all(p[x[:10] == 0] == 1.0)


def test_analytic_gradient_matches_finite_differences(synthetic, fitted):
    x, tx, T, z = (v[:2000] for v in synthetic)
    w = np.ones(x.size)
    theta = fitted.vector + 0.05
    _, grad = _loglik_grad(theta, x, tx, T, z, w, True, True, True)
    for i in range(theta.size):
        step = np.zeros(theta.size)
        step[i] = 1e-6
        up = _loglik_grad(theta + step, x, tx, T, z, w, True, True, True)[0]
        down = _loglik_grad(theta - step, x, tx, T, z, w, True, True, True)[0]
        assert grad[i] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-4)


@pytest.mark.parametrize(("z", "names", "message"), [
    (np.ones((3, 1)), ["vip"], "'vip' has the same value for every customer"),
    (np.array([[0.0], [1.0], [np.nan]]), ["vip"], "finite"),
    (np.array([[0.0], [1.0], [0.0]]), ["vip", "web"], "2 names for 1 covariate"),
])
def test_bad_covariates_are_refused(z, names, message):
    with pytest.raises(ValueError, match=message):
        CovariateBGNBD.fit([1, 0, 2], [3.0, 0.0, 4.0], [5.0, 5.0, 5.0], z, names)


def test_no_repeaters_is_refused():
    with pytest.raises(ValueError, match="not identified"):
        CovariateBGNBD.fit([0, 0], [0.0, 0.0], [5.0, 5.0], [[0.0], [1.0]])

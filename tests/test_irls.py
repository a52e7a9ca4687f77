"""Streamed IRLS (overdue.models.irls) against statsmodels GLM, known truth, and its warnings.

statsmodels is fitted with ``tol=1e-13``: its default stops on an absolute deviance change of
1e-8, which for the cloglog link leaves its own estimates ~1e-7 from the maximum, too loose to
hold anything to 1e-8.
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import special

from overdue.data.partitions import as_partitions
from overdue.models.irls import fit_glm_irls

FORMULA = "y ~ x1 + x2 + C(grade)"  # for statsmodels
RHS = FORMULA.split(" ~ ")[1]
GRADES = ["A", "B", "C", "D"]
TOL = 1e-8


def inverse_link(eta, link):
    return special.expit(eta) if link == "logit" else -np.expm1(-np.exp(eta))


def simulate(n=5000, link="logit", seed=0, n_clusters=600):
    """Rows with clustered ids, two numeric covariates and a 4-level grade."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.uniform(-1, 1, size=n),
            "grade": rng.choice(GRADES, size=n, p=[0.3, 0.3, 0.25, 0.15]),
            "loan": [f"L{i:04d}" for i in rng.integers(0, n_clusters, size=n)],
        }
    )
    eta = (
        -2.0
        + 0.5 * frame["x1"]
        - 0.7 * frame["x2"]
        + frame["grade"].map({"A": 0.0, "B": 0.4, "C": 0.8, "D": 1.2})
    )
    frame["y"] = (rng.random(n) < inverse_link(eta, link)).astype(int)
    return frame


def statsmodels_fit(frame, link, cluster=None, formula=FORMULA):
    links = {"logit": sm.families.links.Logit(), "cloglog": sm.families.links.CLogLog()}
    model = smf.glm(formula, frame, family=sm.families.Binomial(links[link]))
    if cluster is None:
        return model.fit(tol=1e-13)
    return model.fit(
        tol=1e-13, cov_type="cluster", cov_kwds={"groups": pd.factorize(frame[cluster])[0]}
    )


@pytest.fixture(scope="module")
def parquet_folders(tmp_path_factory):
    """~5k rows per link written to 5 parquet files with rows dealt at random, so every loan's
    rows are scattered over files (clusters span partitions)."""
    folders = {}
    for link in ("logit", "cloglog"):
        frame = simulate(link=link, seed=1 if link == "logit" else 2)
        folder = tmp_path_factory.mktemp(f"panel_{link}")
        file_of_row = np.random.default_rng(3).integers(0, 5, size=len(frame))
        for file in range(5):
            frame[file_of_row == file].to_parquet(folder / f"part-{file}.parquet", index=False)
        folders[link] = (frame, folder)
    return folders


@pytest.mark.parametrize("link", ["logit", "cloglog"])
def test_matches_statsmodels_from_partitioned_parquet(parquet_folders, link):
    frame, folder = parquet_folders[link]
    assert len(list(as_partitions(folder, batch_rows=400).iter())) >= 10
    for cluster in (None, "loan"):
        reference = statsmodels_fit(frame, link, cluster)
        fit = fit_glm_irls(
            folder,
            RHS,
            outcome="y",
            link=link,
            cluster=cluster,
            categories={"grade": GRADES},
            batch_rows=400,
        )
        assert fit.converged and fit.ok
        assert fit.summary.index.tolist() == reference.params.index.tolist()
        np.testing.assert_allclose(fit.params, reference.params, rtol=0, atol=TOL)
        np.testing.assert_allclose(fit.summary["se"], reference.bse, rtol=0, atol=TOL)
        np.testing.assert_allclose(fit.cov, reference.cov_params(), rtol=0, atol=TOL)
        assert fit.loglik == pytest.approx(reference.llf, abs=1e-7)
        assert fit.extra["deviance"] == pytest.approx(reference.deviance, abs=1e-7)
        assert (fit.n, fit.events) == (len(frame), frame["y"].sum())
    assert fit.n_clusters == frame["loan"].nunique()
    # The robust and model-based covariances differ, so the comparison above tested both.
    assert not np.allclose(fit.cov, fit.cov_nonrobust, rtol=0.01)


def test_every_source_gives_the_same_fit():
    import dask.dataframe as dd

    frame = simulate(n=3000, link="cloglog", seed=4)
    chunks = [frame.iloc[i : i + 700] for i in range(0, len(frame), 700)]
    sources = {
        "frame": frame,
        "list": chunks,
        "callable": lambda: (chunk for chunk in chunks),
        "dask": dd.from_pandas(frame, npartitions=4),
    }
    fits = {
        name: fit_glm_irls(
            source, RHS, outcome="y", link="cloglog", cluster="loan", categories={"grade": GRADES}
        )
        for name, source in sources.items()
    }
    for name, fit in fits.items():
        np.testing.assert_allclose(
            fit.params, fits["frame"].params, rtol=0, atol=1e-10, err_msg=name
        )
        np.testing.assert_allclose(
            fit.summary["se"], fits["frame"].summary["se"], rtol=0, atol=1e-10, err_msg=name
        )


def test_recovers_known_coefficients_within_their_intervals():
    frame = simulate(n=20000, link="logit", seed=5, n_clusters=4000)
    truth = {
        "Intercept": -2.0,
        "C(grade)[T.B]": 0.4,
        "C(grade)[T.C]": 0.8,
        "C(grade)[T.D]": 1.2,
        "x1": 0.5,
        "x2": -0.7,
    }
    fit = fit_glm_irls(
        [frame.iloc[:9000], frame.iloc[9000:]],
        RHS,
        outcome="y",
        link="logit",
        cluster="loan",
        categories={"grade": GRADES},
    )
    table = fit.summary.loc[list(truth)]
    inside = (table["ci_lower"] < pd.Series(truth)) & (pd.Series(truth) < table["ci_upper"])
    assert inside.all(), table


def test_levels_missing_from_the_first_partition():
    """Sorted data: the first partition holds only grade A; declared or scanned, the design
    still has every level, and the fit equals the in-memory one."""
    frame = simulate(n=3000, seed=6).sort_values("grade", ignore_index=True)
    chunks = [frame.iloc[i : i + 500] for i in range(0, len(frame), 500)]
    assert chunks[0]["grade"].nunique() == 1
    reference = statsmodels_fit(frame, "logit")
    declared = fit_glm_irls(chunks, RHS, outcome="y", categories={"grade": GRADES})
    scanned = fit_glm_irls(chunks, RHS, outcome="y")
    # A partition's own categorical dictionary (parquet, hive keys) holds only its values.
    own_dictionary = [chunk.assign(grade=chunk["grade"].astype("category")) for chunk in chunks]
    per_partition = fit_glm_irls(own_dictionary, RHS, outcome="y")
    in_formula = fit_glm_irls(chunks, "x1 + x2 + C(grade, levels=GRADES)", outcome="y")
    for fit in (declared, scanned, per_partition, in_formula):
        np.testing.assert_allclose(fit.params, reference.params, rtol=0, atol=TOL)
    # A contrast goes through patsy's own C().
    formula = "y ~ x1 + x2 + C(grade, Treatment('C'))"
    reference = statsmodels_fit(frame, "logit", formula=formula)
    fit = fit_glm_irls(chunks, formula.split(" ~ ")[1], outcome="y")
    assert fit.summary.index.tolist() == reference.params.index.tolist()
    np.testing.assert_allclose(fit.params, reference.params, rtol=0, atol=TOL)


def test_without_an_intercept_matches_statsmodels():
    frame = simulate(n=3000, link="cloglog", seed=7)
    formula = "y ~ 0 + C(grade) + x1"
    reference = statsmodels_fit(frame, "cloglog", formula=formula)
    fit = fit_glm_irls(frame, formula.split(" ~ ")[1], outcome="y", link="cloglog")
    np.testing.assert_allclose(fit.params, reference.params, rtol=0, atol=TOL)
    np.testing.assert_allclose(fit.summary["se"], reference.bse, rtol=0, atol=TOL)


def test_holds_at_most_two_partitions_at_once():
    frame = simulate(n=4000, seed=8)
    alive = []

    def partitions():
        for start in range(0, len(frame), 500):
            # Partition i is being built; i - 1 may still be referenced by the loop, older
            # ones must be gone (a fitter that concatenated or cached them would keep them).
            assert sum(ref() is not None for ref in alive[:-1]) == 0
            chunk = frame.iloc[start : start + 500].copy()
            alive.append(weakref.ref(chunk))
            yield chunk

    fit = fit_glm_irls(partitions, RHS, outcome="y", cluster="loan", categories={"grade": GRADES})
    # Every pass reads all 8 partitions; building the design read the first one twice.
    assert fit.converged and len(alive) == 8 * fit.extra["passes"] + 2


def test_separation_and_non_convergence_are_reported():
    rng = np.random.default_rng(9)
    x = rng.normal(size=400)
    separated = pd.DataFrame({"x": x, "y": (x > 0).astype(int)})
    fit = fit_glm_irls(separated, "x", outcome="y")
    assert not fit.converged and not fit.ok
    assert any("did not converge" in w for w in fit.warnings)
    assert any("numerically 0 or 1" in w for w in fit.warnings)
    assert any("'x'" in w and "separation" in w for w in fit.warnings)

    # Quasi-separation: grade D never has an event; its coefficient runs off to -infinity.
    frame = simulate(n=3000, seed=10)
    frame.loc[frame["grade"] == "D", "y"] = 0
    fit = fit_glm_irls(frame, RHS, outcome="y", categories={"grade": GRADES})
    assert any("C(grade)[T.D]" in w for w in fit.warnings)
    assert fit.params["C(grade)[T.D]"] < -10

    short = fit_glm_irls(simulate(n=2000, seed=11), RHS, outcome="y", max_iter=2)
    assert not short.converged and short.warnings == ("IRLS did not converge in 2 iterations",)


@pytest.mark.parametrize("link", ["logit", "cloglog"])
def test_first_iterate_is_statsmodels_first_iterate(link):
    """The start is R's and statsmodels' mu = (y + 1/2) / 2, not a guess of ours."""
    frame = simulate(n=3000, link=link, seed=14)
    links = {"logit": sm.families.links.Logit(), "cloglog": sm.families.links.CLogLog()}
    reference = smf.glm(FORMULA, frame, family=sm.families.Binomial(links[link])).fit(maxiter=1)
    fit = fit_glm_irls(frame, RHS, outcome="y", link=link, max_iter=1)
    assert fit.iterations == 1 and not fit.converged
    np.testing.assert_allclose(fit.params, reference.params, rtol=0, atol=1e-10)


# The fits below break down on purpose: they must say so, not raise or spray numpy warnings.
@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_hopeless_fit_reports_instead_of_raising():
    frame = simulate(n=2000, link="cloglog", seed=13)
    # Every row at a cumulative hazard of exp(700): the deviance and X'Wz overflow at the start.
    overflowing = [1e4, 0.0, 0.0, 0.0, 0.0, 0.0]
    for cluster in (None, "loan"):
        fit = fit_glm_irls(
            frame, RHS, outcome="y", link="cloglog", start_params=overflowing, cluster=cluster
        )
        assert not fit.converged and fit.extra["passes"] == 1
        assert fit.warnings[0].startswith("the fit breaks down numerically at start_params")
        assert fit.params.tolist() == overflowing and fit.summary["se"].isna().all()
    # Every event at eta = -120, where the cloglog log-likelihood is linear and its curvature
    # exp(-120): the Newton step is ~1e50 and 10 halvings leave it absurd. The fit keeps the
    # start, the last estimate with an acceptable deviance.
    deep_left_tail = [-120.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    fit = fit_glm_irls(frame, RHS, outcome="y", link="cloglog", start_params=deep_left_tail)
    assert not fit.converged and fit.step_halvings == 10
    assert fit.warnings[0].startswith(
        "IRLS stopped at iteration 1: its step still raised the deviance"
    )
    assert "the estimates are start_params" in fit.warnings[0]
    assert fit.params.tolist() == deep_left_tail
    assert fit.extra["deviance"] == pytest.approx(2 * 120 * frame["y"].sum(), rel=1e-6)


def test_bad_input_names_the_column():
    frame = simulate(n=500, seed=12)
    with pytest.raises(ValueError, match="'y'.*0/1"):
        fit_glm_irls(frame.assign(y=frame["y"] * 2), RHS, outcome="y")
    with pytest.raises(ValueError, match="'x1'.*missing"):
        fit_glm_irls(frame.assign(x1=frame["x1"].where(frame.index != 7)), RHS, outcome="y")
    with pytest.raises(ValueError, match="'x1' has 1 infinite"):
        fit_glm_irls(
            frame.assign(x1=frame["x1"].where(frame.index != 7, np.inf)), RHS, outcome="y"
        )
    with pytest.raises(ValueError, match="'grade'.*outside the declared"):
        fit_glm_irls(frame, RHS, outcome="y", categories={"grade": ["A", "B", "C"]})
    with pytest.raises(ValueError, match=r"C\(grade\)\[T.E\].*zero in every row"):
        fit_glm_irls(frame, RHS, outcome="y", categories={"grade": GRADES + ["E"]})
    with pytest.raises(ValueError, match="linearly dependent.*x1.*x3"):
        fit_glm_irls(frame.assign(x3=2 * frame["x1"]), "x1 + x3", outcome="y")
    with pytest.raises(ValueError, match="cluster column 'nope'"):
        fit_glm_irls(frame, RHS, outcome="y", cluster="nope")
    with pytest.raises(ValueError, match="link"):
        fit_glm_irls(frame, RHS, outcome="y", link="probit")
    with pytest.raises(ValueError, match="left-hand side"):
        fit_glm_irls(frame, "x1", outcome="np.log(y)")
    with pytest.raises(ValueError, match="start_params"):
        fit_glm_irls(frame, RHS, outcome="y", start_params=[0.0, 1.0])

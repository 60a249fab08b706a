"""homodyne_rs.xpcs: fits from Python are the command line's fits.

The demo and a configuration file are fitted by the ``homodyne`` binary and through
Python, each writing its result files; every parameter, standard error, per-angle
contrast and offset and the chi-squared agree to 1e-12 relative. The binary is
``$HOMODYNE_BIN`` when set, else built with cargo from this checkout (debug profile).
"""

import copy
import json
import math
import os
import shutil
import signal
import subprocess
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from homodyne_rs import xpcs
from homodyne_rs.exceptions import NLSQInputError, NLSQOptimizationError

REPO = Path(__file__).resolve().parents[3]
RTOL = 1e-12


@pytest.fixture(scope="session")
def homodyne_bin():
    """The ``homodyne`` command-line program of this checkout."""
    given = os.environ.get("HOMODYNE_BIN")
    if given:
        return given
    cargo = shutil.which("cargo")
    if cargo is None:
        pytest.skip("no cargo on PATH to build the homodyne binary (set HOMODYNE_BIN)")
    subprocess.run(
        [cargo, "build", "-q", "-p", "homodyne-cli", "--bin", "homodyne"],
        cwd=REPO,
        check=True,
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return str(target / "debug" / "homodyne")


def run_cli(binary, *args):
    """Runs ``homodyne`` with ``args``; its stdout."""
    done = subprocess.run(
        [binary, *map(str, args), "--quiet"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def parameters_json(folder):
    """``<folder>/nlsq/parameters.json``."""
    with open(Path(folder) / "nlsq" / "parameters.json") as f:
        return json.load(f)


def close(a, b):
    """Equal to 1e-12 relative (NaN equal to NaN)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(
        np.all((np.abs(a - b) <= RTOL * np.abs(b)) | (np.isnan(a) & np.isnan(b)))
    )


def assert_same_fit(cli_dir, py_dir, result):
    """The CLI's and Python's parameters.json agree, and so does ``result``."""
    cli, py = parameters_json(cli_dir), parameters_json(py_dir)
    assert cli["analysis_mode"] == py["analysis_mode"] == result.analysis_mode
    assert cli["convergence_status"] == py["convergence_status"] == "converged"
    for key in ("chi_squared", "reduced_chi_squared"):
        assert close(py[key], cli[key]), (key, py[key], cli[key])
    assert close(result.chi_squared, cli["chi_squared"])
    assert close(result.reduced_chi_squared, cli["reduced_chi_squared"])
    assert cli["parameters"].keys() == py["parameters"].keys()
    for name, entry in cli["parameters"].items():
        for field in ("value", "uncertainty"):
            assert close(py["parameters"][name][field], entry[field]), (name, field)
        if name in result.parameters:
            assert close(result.parameters[name], entry["value"]), name
            assert close(result.uncertainties[name], entry["uncertainty"]), name
    for key in ("phi", "contrast", "offset"):
        assert close(py["per_angle"][key], cli["per_angle"][key]), key
        assert close(result.per_angle_scaling[key], cli["per_angle"][key]), key


def test_the_demo_through_python_is_the_cli_demo(homodyne_bin, tmp_path):
    cli_dir, py_dir = tmp_path / "cli", tmp_path / "py"
    run_cli(homodyne_bin, "xpcs", "--demo", "--output-dir", cli_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xpcs.XpcsWarning)
        result = xpcs.fit(demo=True, output_dir=py_dir)
    assert_same_fit(cli_dir, py_dir, result)
    # The demo's truth, and every physical parameter named.
    assert result.analysis_mode == "laminar_flow"
    assert set(result.truth) == set(result.parameters)
    for name in ("D0", "alpha", "D_offset", "gamma_dot_t0", "beta", "gamma_dot_t_offset",
                 "phi0"):
        assert name in result.parameters
    assert result.result["covariance"].shape == (13, 13)
    assert any(f.endswith("parameters.json") for f in result.files)


def test_the_python_compat_demo_is_the_cli_one(homodyne_bin, tmp_path):
    cli_dir, py_dir = tmp_path / "cli", tmp_path / "py"
    run_cli(homodyne_bin, "xpcs", "--demo", "--angles", 2, "--frames", 80,
            "--python-compat", "--output-dir", cli_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xpcs.XpcsWarning)
        result = xpcs.fit(demo=True, angles=2, frames=80, python_compat=True,
                          output_dir=py_dir)
    assert result.info["model_form"] == "python_compat"
    assert_same_fit(cli_dir, py_dir, result)


@pytest.fixture
def demo_config(tmp_path):
    """The demo written as an APS-U file with the YAML that fits it (3 angles, 60 frames)."""
    return Path(xpcs.write_demo(tmp_path / "demo", angles=3, frames=60)["config"])


def test_a_configuration_file_fit_is_the_cli_fit(homodyne_bin, demo_config, tmp_path):
    cli_dir, py_dir = tmp_path / "cli", tmp_path / "py"
    run_cli(homodyne_bin, "xpcs", "--config", demo_config, "--output-dir", cli_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xpcs.XpcsWarning)
        result = xpcs.fit(demo_config, output_dir=py_dir)
    assert_same_fit(cli_dir, py_dir, result)
    assert result.info["data_path"].endswith("demo_laminar_flow.h5")


def test_keys_set_from_python_fit_as_if_written_in_the_file(
    homodyne_bin, demo_config, tmp_path
):
    text = demo_config.read_text()
    assert 'analysis_mode: "laminar_flow"' in text
    static = demo_config.with_name("static.yaml")
    static.write_text(
        text.replace('analysis_mode: "laminar_flow"', 'analysis_mode: "static"')
    )
    cli_dir, py_dir = tmp_path / "cli", tmp_path / "py"
    run_cli(homodyne_bin, "xpcs", "--config", static, "--output-dir", cli_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xpcs.XpcsWarning)
        result = xpcs.fit(demo_config, analysis_mode="static", output_dir=py_dir)
    assert result.analysis_mode == "static"
    assert "gamma_dot_t0" not in result.parameters
    assert_same_fit(cli_dir, py_dir, result)


def test_a_nested_key_is_spelt_with_double_underscores(demo_config):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xpcs.XpcsWarning)
        result = xpcs.fit(
            demo_config,
            optimization__nlsq__anti_degeneracy__per_angle_mode="constant",
        )
    # Held at the data's estimates: one contrast and offset per angle, fixed.
    assert result.info["held_scaling"]
    flags = dict(zip(result.parameters, result.result["parameter_flags"]))
    assert flags["contrast_0"].lower() == "fixed"


def test_load_returns_the_package_loader_arrays(demo_config):
    data = xpcs.load(demo_config)
    assert set(data) == {"c2_exp", "t1", "t2", "phi_angles_list", "wavevector_q_list"}
    c2 = data["c2_exp"]
    # 60 fitted frames are 61 recorded from t = 0.
    assert c2.shape == (3, 61, 61) and c2.dtype == np.float64
    assert data["t1"].shape == data["t2"].shape == (61,)
    np.testing.assert_array_equal(data["t1"], data["t2"])
    assert data["t1"][0] == 0.0 and np.all(np.diff(data["t1"]) > 0)
    assert data["phi_angles_list"].shape == (3,)
    assert data["wavevector_q_list"].shape == (3,)
    np.testing.assert_allclose(c2, np.transpose(c2, (0, 2, 1)), rtol=1e-6)
    # A key set on top: the frames loaded.
    fewer = xpcs.load(demo_config, analyzer_parameters__end_frame=31)
    assert fewer["c2_exp"].shape == (3, 31, 31)


def test_an_unknown_key_raises_naming_it(demo_config):
    with pytest.raises(NLSQInputError) as caught:
        xpcs.fit(demo_config, analysis_mod="static")
    assert "analysis_mod" in str(caught.value)
    assert "analysis_mode" in str(caught.value)  # the closest known key
    with pytest.raises(NLSQInputError, match="optimization.nlsq.sigmaa"):
        xpcs.load(demo_config, optimization__nlsq__sigmaa="auto")
    # A ValueError too, as scipy's callers catch it.
    with pytest.raises(ValueError):
        xpcs.fit(demo_config, not_a_section__key=1)


def test_a_key_the_fit_does_not_use_warns(demo_config):
    with pytest.warns(xpcs.XpcsWarning, match="max_iterations.*no effect"):
        xpcs.load(demo_config, optimization__nlsq__max_iterations=50)


def test_a_missing_configuration_file_is_named(tmp_path):
    missing = tmp_path / "no_such.yaml"
    for call in (lambda: xpcs.load(missing), lambda: xpcs.fit(missing)):
        with pytest.raises(NLSQInputError) as caught:
            call()
        assert str(missing) in str(caught.value)
        assert caught.value.error_context["path"] == str(missing)


def test_a_missing_data_file_is_named(demo_config):
    with pytest.raises(NLSQInputError) as caught:
        xpcs.fit(demo_config, experimental_data__data_file_name="gone.h5")
    assert "gone.h5" in str(caught.value)
    assert caught.value.error_context["path"].endswith("gone.h5")


def test_a_bad_value_names_its_key(demo_config):
    with pytest.raises(NLSQInputError) as caught:
        xpcs.load(demo_config, analyzer_parameters__dt=-1.0)
    assert "analyzer_parameters.dt" in str(caught.value)
    assert caught.value.error_context["key"] == "analyzer_parameters.dt"
    with pytest.raises(NLSQInputError, match="analysis_mode"):
        xpcs.load(demo_config, analysis_mode__inner=1)
    with pytest.raises(NLSQInputError, match="NaN"):
        xpcs.load(demo_config, analyzer_parameters__dt=float("nan"))


def test_the_demo_takes_no_configuration_and_fit_needs_something(demo_config):
    with pytest.raises(NLSQInputError, match="demo"):
        xpcs.fit(demo_config, demo=True)
    with pytest.raises(NLSQInputError, match="configuration"):
        xpcs.fit()
    with pytest.raises(NLSQInputError, match="angles"):
        xpcs.fit(demo=True, angles=0)


def test_an_output_folder_that_cannot_be_written_fails_before_the_fit(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(NLSQInputError, match="output_dir"):
        xpcs.fit(demo=True, angles=1, frames=20, output_dir=blocker / "out")


def test_the_result_is_a_plain_dict_and_warnings_are_issued():
    with pytest.warns(xpcs.XpcsWarning):
        result = xpcs.fit(demo=True, angles=2, frames=40)
    assert result.warnings
    d = json.loads(json.dumps(result.to_dict()))
    assert d["parameters"] == result.parameters
    assert len(d["result"]["covariance"]) == len(result.parameters)
    assert d["per_angle_scaling"]["contrast"] == result.per_angle_scaling["contrast"].tolist()


def test_the_scaling_choice_lists_its_candidates(demo_config):
    # per_angle_mode: auto with 3 angles (the threshold) chooses by BIC between one shared
    # contrast and offset and one per angle.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xpcs.XpcsWarning)
        result = xpcs.fit(
            demo_config, optimization__nlsq__anti_degeneracy__per_angle_mode="auto"
        )
    choice = result.scaling_choice
    assert [c["scaling"] for c in choice["candidates"]] == ["constant", "individual"]
    kept = choice["candidates"][choice["chosen"]]
    assert kept["scaling"] == result.scaling
    assert kept["bic"] == min(c["bic"] for c in choice["candidates"] if c["converged"])
    assert "kept" in choice["reason"]
    for candidate in choice["candidates"]:
        assert candidate["aic"] < 0 and candidate["chi_squared"] > 0


def test_data_loaded_in_python_fit_as_the_file(demo_config):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xpcs.XpcsWarning)
        from_file = xpcs.fit(demo_config)
        data = xpcs.load(demo_config)
        from_arrays = xpcs.fit(demo_config, data=data)
    assert from_arrays.info["data_path"] == "<arrays>"
    assert from_arrays.parameters.keys() == from_file.parameters.keys()
    for name, value in from_file.parameters.items():
        assert close(from_arrays.parameters[name], value), name
    assert close(from_arrays.chi_squared, from_file.chi_squared)


def test_data_edited_in_python_is_what_is_fitted(demo_config):
    data = xpcs.load(demo_config)
    n = 31
    cropped = {
        "c2_exp": data["c2_exp"][:1, :n, :n],
        "t1": data["t1"][:n],
        "phi_angles_list": data["phi_angles_list"][:1],
        "wavevector_q_list": data["wavevector_q_list"][:1],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xpcs.XpcsWarning)
        result = xpcs.fit(data=cropped, analysis_mode="static")
    # One angle, the first frame dropped: 30 fitted frames; dt from the spacing of t1.
    assert result.info["n_t"] == n - 1
    assert result.per_angle_scaling["contrast"].shape == (1,)
    np.testing.assert_allclose(result.info["times"], data["t1"][1:n], rtol=1e-12)
    assert set(result.parameters) == {"contrast_0", "offset_0", "D0", "alpha", "D_offset"}


def test_data_of_the_wrong_shape_is_refused(demo_config):
    data = xpcs.load(demo_config)
    with pytest.raises(NLSQInputError, match="shape"):
        xpcs.fit(data={**data, "t1": data["t1"][:-1]}, analysis_mode="static")
    with pytest.raises(NLSQInputError, match="wavevector_q_list"):
        xpcs.fit(data={k: v for k, v in data.items() if k != "wavevector_q_list"})
    with pytest.raises(NLSQInputError, match="data"):
        xpcs.fit(demo=True, data=data)


def test_ctrl_c_stops_an_xpcs_fit_within_a_second():
    # 3 angles x 3000 frames (2.7e7 points): about 3.4 s uninterrupted (data made and
    # fitted) on a 2-core machine; the signal comes at 1 s, during the fit.
    sent = {}

    def interrupt():
        sent["at"] = time.perf_counter()
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(1.0, interrupt)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            xpcs.fit(demo=True, frames=3000)
        stopped = time.perf_counter()
    finally:
        timer.cancel()
    assert "at" in sent
    assert stopped - sent["at"] < 1.0


def test_a_value_that_is_not_finite_is_named_by_angle_and_frames(demo_config):
    data = xpcs.load(demo_config)
    data["c2_exp"][1, 5, 7] = np.nan
    with pytest.raises(NLSQInputError) as caught:
        xpcs.fit(demo_config, data=data)
    assert isinstance(caught.value, NLSQOptimizationError)
    message = str(caught.value)
    assert "NaN" in message and "angle 1" in message
    assert "t1 index 5" in message and "t2 index 7" in message


def test_a_progress_bar_leaves_the_numbers_alone(capfd):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xpcs.XpcsWarning)
        quiet = xpcs.fit(demo=True, angles=2, frames=60)
        shown = xpcs.fit(demo=True, angles=2, frames=60, progress=True)
    assert shown.parameters == quiet.parameters
    assert shown.chi_squared == quiet.chi_squared
    assert capfd.readouterr().err  # the bar (tqdm or the stderr line) was drawn


def test_the_hdf5_copy_of_the_arrays_is_written_when_asked(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xpcs.XpcsWarning)
        plain = xpcs.fit(demo=True, angles=2, frames=40, output_dir=tmp_path)
        assert not any(f.endswith("fitted_data.h5") for f in plain.files)
        asked = xpcs.fit(demo=True, angles=2, frames=40, output_dir=tmp_path, hdf5=True)
    assert any(f.endswith("fitted_data.h5") for f in asked.files)
    assert (tmp_path / "nlsq" / "fitted_data.h5").is_file()


# Multistart: the configuration's optimization.nlsq.multi_start, the keywords multistart=,
# multistart_seed=, multistart_budget= (the command line's --multistart options), and the
# report as XpcsResult.multistart.

MULTISTART_KEYS = ["n_candidates", "seed", "budget", "cost_rtol", "basin_tol", "best",
                   "in_best_basin", "candidates"]


@pytest.fixture(scope="module")
def two_component_config(homodyne_bin, tmp_path_factory):
    """The command line's two-component (heterodyne) demo written as an APS-U file with
    the YAML that fits it: 2 angles x 40 frames, a multistart of 16 starts (seed 42)."""
    folder = tmp_path_factory.mktemp("two_component")
    run_cli(homodyne_bin, "xpcs", "--demo", "--mode", "heterodyne", "--angles", 2,
            "--frames", 40, "--write-data", folder)
    config = folder / "demo_two_component.yaml"
    text = config.read_text()
    assert "analysis_mode: two_component" in text and "multi_start:" in text
    return config


def summary_multistart(folder):
    """``optimization_summary.multistart`` of ``<folder>/nlsq/analysis_results_nlsq.json``."""
    with open(Path(folder) / "nlsq" / "analysis_results_nlsq.json") as f:
        return json.load(f)["optimization_summary"]["multistart"]


def as_written(report):
    """``report`` with the statuses as the result files name them (the Python package's
    ``max_iter`` for homodyne_rs's ``max_evaluations``)."""
    names = {"max_evaluations": "max_iter"}
    return dict(report, candidates=[
        dict(c, convergence_status=names.get(c["convergence_status"], c["convergence_status"]))
        for c in report["candidates"]])


def assert_same_held_fit(cli_dir, py_dir, result):
    """:func:`assert_same_fit` for a fit with held physical parameters: their uncertainty
    is ``null`` in ``parameters.json`` and 0 in :attr:`XpcsResult.uncertainties`."""
    held = [name for name, flag in zip(result.parameters, result.result["parameter_flags"])
            if flag.lower() == "fixed"]
    assert held
    for name in held:
        assert result.uncertainties[name] == 0.0
        assert parameters_json(cli_dir)["parameters"][name]["uncertainty"] is None
    shown = copy.copy(result)
    shown.uncertainties = {k: (math.nan if k in held else v)
                           for k, v in result.uncertainties.items()}
    assert_same_fit(cli_dir, py_dir, shown)


def quiet_fit(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xpcs.XpcsWarning)
        return xpcs.fit(*args, **kwargs)


def test_a_two_component_configuration_fits_from_python_as_the_cli_fits_it(
    homodyne_bin, two_component_config, tmp_path
):
    cli_dir, py_dir = tmp_path / "cli", tmp_path / "py"
    run_cli(homodyne_bin, "xpcs", "--config", two_component_config, "--output-dir", cli_dir)
    result = quiet_fit(two_component_config, output_dir=py_dir)
    assert result.analysis_mode == "two_component"
    assert list(result.parameters)[-14:] == [
        "D0_ref", "alpha_ref", "D_offset_ref", "D0_sample", "alpha_sample",
        "D_offset_sample", "v0", "v_beta", "v_offset", "f0", "f1", "f2", "f3", "phi0_het"]
    assert_same_held_fit(cli_dir, py_dir, result)
    # The configuration's multistart ran, and its report is the command line's.
    report = result.multistart
    assert list(report) == MULTISTART_KEYS
    assert (report["n_candidates"], report["seed"], report["budget"]) == (17, 42, 100)
    assert len(report["candidates"]) == 17
    # Every start holds the held parameters (candidate 0 starts where the coarse stages
    # ended, the others are Latin-hypercube points).
    names = list(result.parameters)
    for c in report["candidates"]:
        assert len(c["start"]) == len(names)
        for name in ("D_offset_ref", "D_offset_sample", "f2"):
            assert c["start"][names.index(name)] == 0.0
    costs = [c["final_cost"] for c in report["candidates"]]
    assert report["best"] == int(np.argmin(costs))
    assert as_written(report) == summary_multistart(cli_dir) == summary_multistart(py_dir)
    assert result.to_dict()["multistart"] == report


def test_the_multistart_keywords_are_the_cli_options(
    homodyne_bin, two_component_config, tmp_path
):
    cli_dir, py_dir = tmp_path / "cli", tmp_path / "py"
    run_cli(homodyne_bin, "xpcs", "--config", two_component_config, "--output-dir", cli_dir,
            "--multistart", 4, "--multistart-seed", 3, "--multistart-budget", 30)
    result = quiet_fit(two_component_config, output_dir=py_dir, multistart=4,
                       multistart_seed=3, multistart_budget=30)
    assert_same_held_fit(cli_dir, py_dir, result)
    report = result.multistart
    assert (report["n_candidates"], report["seed"], report["budget"]) == (5, 3, 30)
    assert all(c["nfev"] <= 30 for c in report["candidates"])
    assert as_written(report) == summary_multistart(cli_dir)
    # multistart=N keeps the configuration's seed; the budget alone keeps its starts.
    kept = quiet_fit(two_component_config, multistart=2).multistart
    assert (kept["n_candidates"], kept["seed"], kept["budget"]) == (3, 42, 100)
    budget = quiet_fit(two_component_config, multistart_budget=10).multistart
    assert (budget["n_candidates"], budget["seed"], budget["budget"]) == (17, 42, 10)


def test_multistart_zero_drops_the_configurations_multistart(two_component_config):
    plain = quiet_fit(two_component_config, multistart=0)
    assert plain.multistart is None
    assert plain.to_dict()["multistart"] is None


def test_the_multi_start_section_set_as_keys_runs_a_multistart(demo_config):
    off = quiet_fit(demo_config, analysis_mode="static")
    assert off.multistart is None
    on = quiet_fit(demo_config, analysis_mode="static",
                   optimization__nlsq__multi_start={"enable": True, "n_starts": 3, "seed": 5,
                                                    "max_nfev_per_start": 20})
    assert (on.multistart["n_candidates"], on.multistart["seed"],
            on.multistart["budget"]) == (4, 5, 20)
    # A keyword over the section: the section's seed, the keyword's starts.
    over = quiet_fit(demo_config, analysis_mode="static", multistart=2,
                     optimization__nlsq__multi_start={"enable": True, "seed": 5})
    assert (over.multistart["n_candidates"], over.multistart["seed"]) == (3, 5)


def test_the_demo_takes_the_multistart_keywords_as_the_cli_does(homodyne_bin, tmp_path):
    cli_dir, py_dir = tmp_path / "cli", tmp_path / "py"
    run_cli(homodyne_bin, "xpcs", "--demo", "--angles", 2, "--frames", 40, "--multistart", 2,
            "--output-dir", cli_dir)
    result = quiet_fit(demo=True, angles=2, frames=40, multistart=2, output_dir=py_dir)
    assert_same_fit(cli_dir, py_dir, result)
    assert (result.multistart["n_candidates"], result.multistart["seed"]) == (3, 0)
    assert as_written(result.multistart) == summary_multistart(cli_dir)
    assert quiet_fit(demo=True, angles=2, frames=40).multistart is None


@pytest.mark.parametrize(
    ("keywords", "named"),
    [
        ({"multistart": -1}, "multistart=-1"),
        ({"multistart": 2.5}, "multistart=2.5"),
        ({"multistart": True}, "multistart=True"),
        ({"multistart": 2, "multistart_seed": -1}, "multistart_seed=-1"),
        ({"multistart": 2, "multistart_budget": 0}, "multistart_budget=0"),
        ({"multistart_seed": 3}, "multistart_seed needs a multistart"),
        ({"multistart_budget": 30}, "multistart_budget needs a multistart"),
        ({"multistart": 0, "multistart_seed": 3}, "multistart_seed needs a multistart"),
    ],
)
def test_bad_multistart_keywords_are_refused_naming_them(demo_config, keywords, named):
    with pytest.raises(NLSQInputError, match=named) as caught:
        quiet_fit(demo_config, **keywords)
    assert caught.value.error_context["argument"] == named.split("=")[0].split(" ")[0]
    with pytest.raises(NLSQInputError, match=named):
        quiet_fit(demo=True, angles=1, frames=20, **keywords)


# The two-component (heterodyne) demo: fit(demo=True, mode="two_component") and
# write_demo(..., mode="two_component"), the command line's --demo --mode heterodyne.

HETERODYNE_TRUTH = {"D0_ref": 3000.0, "alpha_ref": 0.5, "D_offset_ref": 0.0,
                    "D0_sample": 1e4, "alpha_sample": -0.3, "D_offset_sample": 0.0,
                    "v0": 100.0, "v_beta": 0.6, "v_offset": 10.0, "f0": 0.5, "f1": -0.3,
                    "f2": 0.0, "f3": 0.3, "phi0_het": 3.0}


def assert_bit_for_bit(cli_dir, result, py_dir=None):
    """Every parameter and per-angle value of the CLI's ``parameters.json`` is
    ``result``'s, bit for bit (JSON writes the shortest decimal that reads back as the
    same double), and the ``parameters.json`` Python wrote into ``py_dir`` is the CLI's
    but for its timestamp. (The file's chi-squared is summed again from the residuals, so
    the result's is compared to 1e-12.)"""
    cli = parameters_json(cli_dir)
    if py_dir is not None:
        py = parameters_json(py_dir)
        assert py.pop("timestamp") and cli.pop("timestamp")
        assert py == cli
    assert cli["analysis_mode"] == result.analysis_mode
    assert cli["convergence_status"] == result.convergence_status
    assert close(result.chi_squared, cli["chi_squared"])
    assert close(result.reduced_chi_squared, cli["reduced_chi_squared"])
    physical = {k: v for k, v in cli["parameters"].items() if k not in ("contrast", "offset")}
    assert list(physical) == list(result.parameters)[-len(physical):]
    for name, entry in physical.items():
        assert result.parameters[name] == entry["value"], name
        if entry["uncertainty"] is None:  # held (0 here) or not finite
            assert not 0.0 < result.uncertainties[name] < math.inf, name
        else:
            assert result.uncertainties[name] == entry["uncertainty"], name
    for key in ("phi", "contrast", "offset"):
        assert result.per_angle_scaling[key].tolist() == cli["per_angle"][key], key


def test_the_two_component_demo_through_python_is_the_cli_one(homodyne_bin, tmp_path):
    cli_dir, py_dir = tmp_path / "cli", tmp_path / "py"
    run_cli(homodyne_bin, "xpcs", "--demo", "--mode", "heterodyne", "--angles", 2,
            "--frames", 60, "--output-dir", cli_dir)
    result = quiet_fit(demo=True, mode="two_component", angles=2, frames=60,
                       output_dir=py_dir)
    assert result.analysis_mode == "two_component"
    assert result.info["n_t"] == 60 and result.per_angle_scaling["phi"].shape == (2,)
    assert_bit_for_bit(cli_dir, result, py_dir)
    assert result.parameters == quiet_fit(demo=True, mode="two_component", angles=2,
                                          frames=60).parameters  # files or not
    # The demo's multistart (16 Latin-hypercube starts besides xpcsjax's), the command
    # line's report.
    report = result.multistart
    assert list(report) == MULTISTART_KEYS
    assert report["n_candidates"] == 17 == len(report["candidates"])
    assert (report["seed"], report["budget"]) == (42, 100)
    assert as_written(report) == summary_multistart(cli_dir)
    # The truth the data were made from, every parameter named.
    assert list(result.truth) == list(result.parameters)
    assert {k: result.truth[k] for k in HETERODYNE_TRUTH} == HETERODYNE_TRUTH
    assert result.to_dict()["truth"] == result.truth


def test_the_two_component_demo_takes_the_cli_aliases_and_frames(homodyne_bin, tmp_path):
    named = quiet_fit(demo=True, mode="two_component", angles=1, frames=30)
    for alias in ("heterodyne", "two-component", " Two_Component "):
        again = quiet_fit(demo=True, mode=alias, angles=1, frames=30)
        assert again.parameters == named.parameters, alias
        assert again.multistart == named.multistart, alias
    # Without frames, the command line's default: 100 frames for this demo, 300 for the
    # laminar-flow one (the default mode).
    assert quiet_fit(demo=True, mode="heterodyne", angles=1).info["n_t"] == 100
    written = xpcs.write_demo(tmp_path, angles=1, mode="heterodyne")
    assert xpcs.load(written["config"])["t1"].shape == (101,)
    # Multistart keywords over the demo's, as --multistart options.
    cli_dir = tmp_path / "cli"
    run_cli(homodyne_bin, "xpcs", "--demo", "--mode", "two_component", "--angles", 2,
            "--frames", 40, "--multistart", 3, "--multistart-seed", 7,
            "--output-dir", cli_dir)
    fewer = quiet_fit(demo=True, mode="two_component", angles=2, frames=40, multistart=3,
                      multistart_seed=7)
    assert (fewer.multistart["n_candidates"], fewer.multistart["seed"]) == (4, 7)
    assert as_written(fewer.multistart) == summary_multistart(cli_dir)
    assert_bit_for_bit(cli_dir, fewer)


def test_write_demo_writes_the_cli_two_component_files_and_they_fit(two_component_config,
                                                                    tmp_path):
    written = xpcs.write_demo(tmp_path / "py", angles=2, frames=40, mode="two_component")
    assert Path(written["data"]).name == "demo_two_component.h5"
    assert Path(written["config"]).name == "demo_two_component.yaml"
    assert sorted(p.name for p in (tmp_path / "py").iterdir()) == [
        "demo_two_component.h5", "demo_two_component.yaml"]
    # The files of homodyne xpcs --demo --mode heterodyne --write-data, byte for byte.
    for key in ("data", "config"):
        cli_file = two_component_config.with_name(Path(written[key]).name)
        assert Path(written[key]).read_bytes() == cli_file.read_bytes(), key
    result = quiet_fit(written["config"])
    assert result.converged and result.analysis_mode == "two_component"
    assert result.multistart["n_candidates"] == 17
    assert result.truth is None
    for name, value in HETERODYNE_TRUTH.items():
        assert abs(result.parameters[name] - value) <= max(
            4 * result.uncertainties[name], 1e-12 * abs(value)), name


@pytest.mark.parametrize(
    ("call", "argument", "match"),
    [
        (lambda out: xpcs.fit(mode="two_component", output_dir=out), "mode", "demo=True"),
        (lambda out: xpcs.fit(mode="laminar_flow", analysis_mode="static", output_dir=out),
         "mode", "demo=True"),
        (lambda out: xpcs.fit(demo=True, mode="static", output_dir=out), "mode",
         "mode='static'"),
        (lambda out: xpcs.fit(demo=True, mode="hetero", output_dir=out), "mode",
         "mode='hetero'"),
        (lambda out: xpcs.fit(demo=True, mode=2, output_dir=out), "mode", "mode=2"),
        (lambda out: xpcs.fit(demo=True, mode="heterodyne", python_compat=True,
                              output_dir=out), "python_compat", "two-component"),
        (lambda out: xpcs.write_demo(out, mode="flows"), "mode", "mode='flows'"),
        (lambda out: xpcs.write_demo(out, mode="two_component", python_compat=True),
         "python_compat", "two-component"),
    ],
)
def test_a_demo_mode_that_cannot_be_used_is_refused_before_any_work(call, argument, match,
                                                                    tmp_path):
    out = tmp_path / "out"
    with pytest.raises(NLSQInputError, match=match) as caught:
        call(out)
    assert caught.value.error_context["argument"] == argument
    assert argument in str(caught.value)
    assert not out.exists()  # no folder made, nothing written


def test_the_compiled_half_refuses_a_demo_mode_too(tmp_path):
    from homodyne_rs import _native

    with pytest.raises(NLSQInputError, match="laminar_flow") as caught:
        _native.xpcs_fit(demo=(1, 20), demo_mode="static")
    assert caught.value.error_context["argument"] == "mode"
    with pytest.raises(NLSQInputError, match="two-component") as caught:
        _native.xpcs_write_demo(tmp_path / "out", 1, 20, True, "heterodyne")
    assert caught.value.error_context["argument"] == "python_compat"
    assert not (tmp_path / "out").exists()

"""XPCS fits from Python: the homodyne two-time correlation models, as ``homodyne xpcs``.

:func:`load` reads the data of a YAML configuration (the Python ``homodyne`` package's
keys) as that package's loader returns them; :func:`fit` runs the command line's whole
fit: configuration, loader, starts, the fit with its per-angle scaling choice, and, with
``output_dir``, the result files. ``fit(demo=True)`` fits the command line's synthetic
laminar-flow dataset (``homodyne xpcs --demo``), ``fit(demo=True, mode="two_component")``
its two-component (heterodyne) one (``homodyne xpcs --demo --mode heterodyne``), each with
known truth; :func:`write_demo` writes either as a data file with the configuration that
fits it. A fit from Python is the command line's fit: the same numbers, bit for bit.

Configuration keys
------------------
Keyword arguments set configuration keys on top of the file, as if written in it. A
nested key is spelt with ``__`` between its parts::

    fit("my.yaml", analysis_mode="static")                       # analysis_mode
    fit("my.yaml", analyzer_parameters__dt=0.1)                   # analyzer_parameters.dt
    fit("my.yaml", optimization__nlsq__sigma="auto")              # optimization.nlsq.sigma
    fit("my.yaml", optimization__nlsq__anti_degeneracy__per_angle_mode="individual")

A value is any YAML value: a number, a string, a boolean, a list, a dict (which replaces
the whole section). Relative data paths are relative to the configuration file's folder
(to the working directory without a file). A key the configuration does not know raises
:class:`~homodyne_rs.exceptions.NLSQInputError` naming it; a key the Python package reads
but this fit does not use (``optimization__nlsq__max_iterations``) gives a warning.
``homodyne config --mode laminar_flow`` writes a template with every key.

Several minima
--------------
A configuration's ``optimization.nlsq.multi_start`` (``enable: true``, ``n_starts``,
``seed``, ``max_nfev_per_start``: xpcsjax's keys) fits from the configured start and from
``n_starts`` starts of a Latin hypercube within the bounds, then finishes the best, as
``homodyne xpcs`` does; so does the keyword ``multistart=N`` (the command line's
``--multistart N``), with ``multistart_seed`` and ``multistart_budget``. The result's
:attr:`XpcsResult.multistart` reports every start.

Warnings of the configuration, the loader and the fit (unknown keys in the file, a
clamped frame range, parameters the data do not determine) are issued as
:class:`XpcsWarning`.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from dataclasses import dataclass, field, fields
from typing import Any, Dict, List, Optional, Union

import numpy as np

from . import _native
from ._fit_arguments import multistart_overrides
from .exceptions import NLSQInputError

__all__ = ["XpcsResult", "XpcsWarning", "fit", "load", "write_demo"]

PathLike = Union[str, "os.PathLike[str]"]


class XpcsWarning(UserWarning):
    """A warning of an XPCS configuration, load or fit (the command line's
    ``homodyne: warning: ...`` lines).

    >>> import warnings
    >>> issubclass(XpcsWarning, UserWarning)
    True
    """


@dataclass
class XpcsResult:
    """The result of :func:`fit`, shaped like the Python ``homodyne`` package's.

    Attributes
    ----------
    parameters : dict
        Name -> fitted value, in the model's order: the contrasts and offsets
        (``contrast[0]``, ..., ``offset[0]``, ...) or their Fourier coefficients, then the
        physical parameters (``D0``, ``alpha``, ``D_offset``, and in laminar flow
        ``gamma_dot_t0``, ``beta``, ``gamma_dot_t_offset``, ``phi0``; in the
        two-component model ``D0_ref``, ``alpha_ref``, ``D_offset_ref``, ``D0_sample``,
        ..., ``f0``, ..., ``phi0_het``).
    uncertainties : dict
        Name -> one-sigma standard error ``sqrt(C_kk)`` (0 for a held parameter).
    chi_squared : float
        ``sum_i r_i^2`` at the optimum (residuals divided by sigma when weighted).
    reduced_chi_squared : float
        ``chi_squared / (N - P)``, ``P`` the parameters varied.
    per_angle_scaling : dict
        ``phi`` (degrees), ``contrast`` and ``offset``: numpy arrays, one value per fitted
        angle (a Fourier series evaluated at each angle).
    scaling_choice : dict or None
        With ``per_angle_mode: auto`` choosing among several scalings: ``candidates`` (each
        with ``scaling``, ``chi_squared``, ``reduced_chi_squared``, ``aic``, ``bic``,
        ``n_varying``, ``iterations``, ``converged``), ``chosen`` (index) and ``reason``.
    convergence_status : str
        ``converged`` when a tolerance was met at a stationary point.
    iterations : int
        Solver iterations of the full fit.
    result : dict
        Every number of the fit: ``covariance`` (ndarray, P x P), ``parameters``,
        ``uncertainties``, ``nfev``, ``njev``, ``optimality``, ``parameter_flags``,
        ``strategy``, ... (the fields of ``OptimizationResult``).
    analysis_mode : str
        ``static``, ``laminar_flow`` or ``two_component`` (the heterodyne model).
    scaling : str
        The per-angle scaling fitted (``individual``, ``constant``, ``fourier``, ...).
    truth : dict or None
        Name -> the value the data were made from (the demos only: laminar flow or
        two-component), every parameter of the model, contrasts and offsets included.
    multistart : dict or None
        The report of a multistart (the configuration's
        ``optimization.nlsq.multi_start``, or ``multistart=N``), ``None`` without one:
        ``n_candidates``, ``seed``, ``budget``, ``cost_rtol``, ``basin_tol``, ``best``
        (the start finished: 0 is the configured start), ``in_best_basin`` (how many
        starts reached the finished fit's basin) and ``candidates``, each with its
        ``index``, ``start`` (every parameter, in the model's order),
        ``convergence_status``, ``final_cost``, ``iterations``, ``nfev``,
        ``in_best_basin`` and, for a start whose fit failed, ``error``; the command
        line's ``optimization_summary.multistart`` in ``parameters.json``. The other
        fields are the finished fit's.
    info : dict
        The rest: ``aic`` and ``bic`` (lmfit's definitions), ``q``, ``n_t``, ``times``
        (the frame times fitted), ``start``, ``coarse_stages``, ``model_form``,
        ``data_path``, ``noise_sigma`` (each angle's, with ``sigma: auto``),
        ``held_scaling``, ``seconds``.
    files : list of str
        The result files written (with ``output_dir``).
    warnings : list of str
        The warnings issued on the way.

    Examples
    --------
    >>> from homodyne_rs import xpcs
    >>> r = xpcs.fit(demo=True, angles=2, frames=40)
    >>> sorted(r.parameters)[:3]
    ['D0', 'D_offset', 'alpha']
    >>> r.per_angle_scaling["contrast"].shape
    (2,)
    >>> r.result["covariance"].shape == (len(r.parameters), len(r.parameters))
    True
    """

    parameters: Dict[str, float]
    uncertainties: Dict[str, float]
    chi_squared: float
    reduced_chi_squared: float
    per_angle_scaling: Dict[str, np.ndarray]
    scaling_choice: Optional[Dict[str, Any]]
    convergence_status: str
    iterations: int
    result: Dict[str, Any]
    analysis_mode: str = ""
    scaling: str = ""
    truth: Optional[Dict[str, float]] = None
    multistart: Optional[Dict[str, Any]] = None
    info: Dict[str, Any] = field(default_factory=dict)
    files: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)

    @property
    def converged(self) -> bool:
        """Whether the fit converged.

        >>> from homodyne_rs import xpcs
        >>> xpcs.fit(demo=True, angles=2, frames=40).converged
        True
        """
        return self.convergence_status == "converged"

    def to_dict(self) -> Dict[str, Any]:
        """Every field as plain Python values (numpy arrays as lists), ready for
        ``json.dump``.

        >>> import json
        >>> from homodyne_rs import xpcs
        >>> d = xpcs.fit(demo=True, angles=2, frames=40).to_dict()
        >>> json.loads(json.dumps(d))["parameters"]["D0"] == d["parameters"]["D0"]
        True
        """
        return {f.name: _plain_output(getattr(self, f.name)) for f in fields(self)}


def load(config: PathLike, **keys: Any) -> Dict[str, np.ndarray]:
    """Load the data of the YAML configuration ``config`` as the Python ``homodyne``
    package's loader returns them.

    Parameters
    ----------
    config : str or path
        The configuration file (the package's keys: ``experimental_data``,
        ``analyzer_parameters``, ...).
    **keys
        Configuration keys set on top of the file (``analyzer_parameters__start_frame=100``;
        see the module documentation for the spelling).

    Returns
    -------
    dict
        ``c2_exp``: ndarray ``(n_phi, n_t, n_t)``, the two-time correlation of each angle
        (frames ``start_frame`` to ``end_frame``, diagonal corrected); ``t1``, ``t2``:
        the ``n_t`` frame times in seconds from 0; ``phi_angles_list``: the angles in
        degrees, as the file holds them; ``wavevector_q_list``: the q of each matrix,
        1/Angstrom.

    Raises
    ------
    NLSQInputError
        A file that cannot be read or used (its ``error_context["path"]`` names it), a
        configuration key that is unknown or whose value cannot be used.

    Examples
    --------
    >>> import tempfile
    >>> from homodyne_rs import xpcs
    >>> folder = tempfile.mkdtemp()
    >>> written = xpcs.write_demo(folder, angles=2, frames=20)
    >>> data = xpcs.load(written["config"])
    >>> data["c2_exp"].shape, data["t1"].shape
    ((2, 21, 21), (21,))
    """
    if config is None:
        raise NLSQInputError("load() needs a configuration file")
    data, issued = _native.xpcs_load(os.fspath(config), _settings(keys))
    _warn(issued)
    return data


def fit(
    config: Optional[PathLike] = None,
    *,
    data: Optional[Dict[str, Any]] = None,
    output_dir: Optional[PathLike] = None,
    hdf5: bool = False,
    progress: bool = False,
    demo: bool = False,
    angles: int = 3,
    frames: Optional[int] = None,
    mode: Optional[str] = None,
    python_compat: bool = False,
    multistart: Optional[int] = None,
    multistart_seed: Optional[int] = None,
    multistart_budget: Optional[int] = None,
    **keys: Any,
) -> XpcsResult:
    """Fit an XPCS dataset as ``homodyne xpcs --config config`` fits it.

    Parameters
    ----------
    config : str or path, optional
        The YAML configuration (the Python ``homodyne`` package's keys). Without it, the
        keys alone describe the fit (``experimental_data__data_folder_path=...``, ...).
    data : dict, optional
        The data to fit instead of the configuration's data file, shaped as :func:`load`
        returns them (so ``fit(config, data=edited)`` fits data loaded and changed in
        Python): ``c2_exp`` ``(n_phi, n_t, n_t)`` (or ``(n_t, n_t)`` for one angle),
        ``t1`` (the ``n_t`` frame times from 0, seconds), ``phi_angles_list`` (degrees),
        ``wavevector_q_list`` (1/Angstrom, or one q). The fit drops the first frame, as
        for a file; the configuration's frame range is not applied; ``dt`` is
        ``analyzer_parameters.dt`` when set, else the spacing of ``t1``. Without a
        configuration the static model is fitted.
    output_dir : str or path, optional
        Where the result files go: ``<output_dir>/nlsq/`` gets the package's JSON files,
        the fitted data as ``.npz`` (and HDF5 with ``hdf5``), and per angle a heatmap and
        a plot of one-time cuts. Checked writable before the fit. No files without it.
    hdf5 : bool
        Also write the arrays of ``fitted_data.npz`` as ``fitted_data.h5`` (``--hdf5``);
        without it an earlier run's ``fitted_data.h5`` in the folder is removed.
    progress : bool
        Draw a progress bar (tqdm when installed, else a line on stderr).
    demo : bool
        Fit the command line's synthetic dataset of the physics ``mode`` (``homodyne
        xpcs --demo``) of ``angles`` angles and ``frames`` frames (noise sigma 0.01, known
        truth in :attr:`XpcsResult.truth`) instead of a configuration.
    angles, frames : int
        The demo's size (``--angles``, ``--frames``); ``frames=None`` (default): 300 for
        laminar flow, 100 for the two-component demo, as the command line.
    mode : str, optional
        The demo's physics (``--mode``; only with ``demo=True``): ``"laminar_flow"``
        (default; the homodyne model, fitted from the Python package's default start) or
        ``"two_component"`` (alias ``"heterodyne"``; xpcsjax's two-component model with
        ``f2`` held, fitted from xpcsjax's default start, a symmetric stationary point,
        with a multistart of 16 Latin-hypercube starts, seed 42, which the multistart
        keywords change as ``--multistart`` options do).
    python_compat : bool
        Evaluate the Python package's form of the model (``--python-compat``); the
        two-component model has one form, so not with ``mode="two_component"``.
    multistart : int, optional
        Fit from the configured start and ``multistart`` starts of a Latin hypercube
        within the bounds (each free parameter's range cut into that many strata, one
        start in each; the rate prefactors with a positive lower bound drawn in their
        logarithm), each with at most ``multistart_budget`` cost evaluations, side by
        side, then finish the start of lowest cost with the fit's own settings
        (``--multistart N``): for a model with several minima, as the two-component one
        has. It replaces the configuration's ``optimization.nlsq.multi_start``, keeping
        its seed; 0: no multistart, whatever the configuration says; ``None`` (default):
        the configuration's. Every free parameter needs finite bounds; not with a
        STREAMING fit.
    multistart_seed : int, optional
        The hypercube's seed, 0 to 2**64 - 1 (``--multistart-seed``): the same seed, the
        same starts and the same result, bit for bit. ``None``: the configuration's
        ``multi_start.seed``, else 42 (0 for the laminar-flow demo, which has no
        multistart of its own; the two-component demo's is seed 42).
    multistart_budget : int, optional
        The cost evaluations each start may spend, at least 1 (``--multistart-budget``).
        ``None``: the configuration's ``multi_start.max_nfev_per_start``, else 100 (a new
        multistart of ``multistart=N`` has 100).
        ``multistart_seed`` and ``multistart_budget`` need a multistart to apply to
        (``multistart=N`` or the configuration's).
    **keys
        Configuration keys set on top of the file (see the module documentation):
        ``analysis_mode="static"``, ``optimization__nlsq__sigma="auto"``.

    Returns
    -------
    XpcsResult

    Raises
    ------
    NLSQInputError
        A configuration, key or data file that cannot be used (named in the message and
        in ``error_context``), ``demo=True`` with a configuration, a multistart keyword
        that is not a whole number in its range or that has no multistart to apply to,
        ``mode`` without ``demo=True`` or naming no demo, ``python_compat`` with the
        two-component demo (``error_context["argument"]`` names the argument), a free
        parameter without finite bounds in a multistart.
    NLSQOptimizationError
        The fit failed (its subclass says how), or its files could not be written.
    KeyboardInterrupt
        Ctrl-C: the fit stops between passes.

    Examples
    --------
    >>> import warnings
    >>> from homodyne_rs import xpcs
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", xpcs.XpcsWarning)  # correlated shear terms
    ...     r = xpcs.fit(demo=True)  # 3 angles x 300 frames, known truth
    >>> r.convergence_status
    'converged'
    >>> abs(r.parameters["D0"] - r.truth["D0"]) < 3 * r.uncertainties["D0"]
    True

    The two-component (heterodyne) demo, from xpcsjax's start with its multistart (the
    given start and 16 others, the best finished):

    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", xpcs.XpcsWarning)  # correlated velocity terms
    ...     h = xpcs.fit(demo=True, mode="two_component", angles=2, frames=60)
    >>> h.analysis_mode, h.multistart["n_candidates"], h.truth["D0_sample"]
    ('two_component', 17, 10000.0)
    >>> abs(h.parameters["D0_sample"] - h.truth["D0_sample"]) < 3 * h.uncertainties["D0_sample"]
    True

    A configuration file, with keys set on top of it:

    >>> import tempfile
    >>> written = xpcs.write_demo(tempfile.mkdtemp(), angles=3, frames=60)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", xpcs.XpcsWarning)
    ...     s = xpcs.fit(written["config"], analysis_mode="static")
    >>> list(s.parameters)[-3:]
    ['D0', 'alpha', 'D_offset']

    From many starts (the configuration's ``optimization.nlsq.multi_start``, or):

    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", xpcs.XpcsWarning)
    ...     m = xpcs.fit(written["config"], analysis_mode="static", multistart=4)
    >>> m.multistart["n_candidates"], m.multistart["seed"], s.multistart is None
    (5, 42, True)
    """
    overrides = multistart_overrides(multistart, multistart_seed, multistart_budget)
    if mode is not None and not demo:
        raise NLSQInputError(
            f"mode={mode!r} chooses the demo's physics: give demo=True with it (a "
            "configuration's model is its analysis_mode key)",
            error_context={"argument": "mode"},
        )
    physics = _demo_mode("laminar_flow" if mode is None else mode, python_compat)
    if demo:
        if config is not None or keys:
            raise NLSQInputError(
                "demo=True fits the command line's demo dataset: give no configuration "
                f"file and no configuration keys with it (got config={config!r}"
                + (f", keys {sorted(keys)})" if keys else ")")
            )
        if data is not None:
            raise NLSQInputError("demo=True makes its own data: give no data with it")
        demo_size = (_count(angles, "angles"), _demo_frames(frames, physics))
    else:
        if config is None and not keys and data is None:
            raise NLSQInputError(
                "give a configuration file (fit('my.yaml')), configuration keys, or "
                "demo=True; `homodyne config --mode laminar_flow --output my.yaml` writes "
                "a template"
            )
        demo_size = None
    raw, issued = _native.xpcs_fit(
        None if config is None else os.fspath(config),
        _settings(keys),
        demo_size,
        bool(python_compat),
        None if output_dir is None else os.fspath(output_dir),
        bool(progress),
        None if data is None else _given_arrays(data),
        bool(hdf5),
        overrides,
        physics,
    )
    _warn(issued)
    result = _result(raw, issued)
    if not result.converged:
        message = f"the fit did not converge: {result.result.get('message', '')}"
        result.warnings.append(message)
        _warn([message])
    return result


def write_demo(folder: PathLike, angles: int = 3, frames: Optional[int] = None,
               python_compat: bool = False, mode: str = "laminar_flow") -> Dict[str, str]:
    """Write the demo dataset into ``folder`` as an APS-U HDF5 file with the YAML
    configuration that fits it (``homodyne xpcs --demo [--mode heterodyne] --write-data
    folder``).

    ``mode``, ``angles``, ``frames`` and ``python_compat`` are :func:`fit`'s for
    ``demo=True``: ``"laminar_flow"`` writes ``demo_laminar_flow.h5`` and ``.yaml``
    (300 frames by default), ``"two_component"`` (alias ``"heterodyne"``)
    ``demo_two_component.h5`` and ``.yaml`` (100 frames by default; the YAML has
    xpcsjax's keys: the start, ``f2`` held, the bounds and the multistart of the
    command line's demo, and the truth in its comments).

    Returns ``{"data": path, "config": path}``.

    Raises ``NLSQInputError`` for a folder that cannot be written, a size that cannot be
    fitted, and, naming the argument in ``error_context["argument"]``, an unknown
    ``mode`` or ``python_compat`` with the two-component demo.

    >>> import os, tempfile
    >>> from homodyne_rs import xpcs
    >>> written = xpcs.write_demo(tempfile.mkdtemp(), angles=2, frames=20)
    >>> os.path.basename(written["config"])
    'demo_laminar_flow.yaml'
    >>> two = xpcs.write_demo(tempfile.mkdtemp(), angles=2, frames=20, mode="heterodyne")
    >>> os.path.basename(two["data"]), os.path.basename(two["config"])
    ('demo_two_component.h5', 'demo_two_component.yaml')
    """
    physics = _demo_mode(mode, python_compat)
    return dict(_native.xpcs_write_demo(os.fspath(folder), _count(angles, "angles"),
                                        _demo_frames(frames, physics), bool(python_compat),
                                        physics))


#: The demos' physics by every name ``mode`` takes (the command line's ``--mode``).
_DEMO_MODES = {
    "laminar_flow": "laminar_flow", "laminar-flow": "laminar_flow",
    "laminar": "laminar_flow", "flow": "laminar_flow",
    "two_component": "two_component", "two-component": "two_component",
    "twocomponent": "two_component", "heterodyne": "two_component",
}

#: The demos' frames when ``frames`` is not given, as the command line's ``--frames``.
_DEMO_FRAMES = {"laminar_flow": 300, "two_component": 100}


def _demo_mode(mode: Any, python_compat: Any) -> str:
    """The demo's physics named by ``mode`` (``laminar_flow`` or ``two_component``),
    checked with ``python_compat``; ``NLSQInputError`` naming the argument otherwise."""
    physics = _DEMO_MODES.get(mode.strip().lower()) if isinstance(mode, str) else None
    if physics is None:
        raise NLSQInputError(
            f"mode={mode!r}: the demo is 'laminar_flow' or 'two_component' (alias "
            "'heterodyne')",
            error_context={"argument": "mode"},
        )
    if physics == "two_component" and python_compat:
        raise NLSQInputError(
            "python_compat=True is a form of the homodyne model; the two-component model "
            "has one form",
            error_context={"argument": "python_compat"},
        )
    return physics


def _demo_frames(frames: Any, physics: str) -> int:
    """The demo's frames: ``frames``, checked, or the default of ``physics``."""
    return _DEMO_FRAMES[physics] if frames is None else _count(frames, "frames")


def _given_arrays(data: Dict[str, Any]):
    """``data`` (as :func:`load` returns it) as the float64 arrays ``(c2_exp, t1,
    phi_angles_list, wavevector_q_list)``, checked for shape."""
    if not hasattr(data, "keys"):
        raise NLSQInputError(
            f"data must be a dict like load()'s (c2_exp, t1, phi_angles_list, "
            f"wavevector_q_list), got {type(data).__name__}"
        )
    missing = [k for k in ("c2_exp", "t1", "phi_angles_list", "wavevector_q_list")
               if k not in data]
    if missing:
        raise NLSQInputError(f"data lacks {', '.join(missing)} (the keys load() returns)")

    def array(key: str, ndim: int) -> np.ndarray:
        try:
            a = np.ascontiguousarray(data[key], dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise NLSQInputError(f"data[{key!r}] is not an array of numbers: {e}") from None
        if a.ndim == 0 and ndim == 1:
            a = a.reshape(1)
        if a.ndim == 2 and ndim == 3:
            a = a[np.newaxis]
        if a.ndim != ndim:
            raise NLSQInputError(f"data[{key!r}] has {a.ndim} dimensions; give {ndim}")
        return a

    c2 = array("c2_exp", 3)
    t1 = array("t1", 1)
    phi = array("phi_angles_list", 1)
    q = array("wavevector_q_list", 1)
    n_phi, n_a, n_b = c2.shape
    if n_a != n_b or n_a != t1.size or n_phi != phi.size:
        raise NLSQInputError(
            f"data['c2_exp'] has shape {c2.shape}, but t1 has {t1.size} times and "
            f"phi_angles_list {phi.size} angles: give (n_phi, n_t, n_t) = "
            f"({phi.size}, {t1.size}, {t1.size})"
        )
    if "t2" in data and not np.array_equal(np.asarray(data["t2"], dtype=np.float64), t1):
        raise NLSQInputError("data['t2'] differs from data['t1']: give the same frame times")
    return c2, t1, phi, q


def _count(value: Any, name: str) -> int:
    """``value`` as a non-negative int, or NLSQInputError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise NLSQInputError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def _settings(keys: Dict[str, Any]) -> str:
    """The keyword arguments as a JSON object of dotted configuration keys."""
    dotted = {}
    for name, value in keys.items():
        if name.startswith("__") or name.endswith("__") or "____" in name:
            raise NLSQInputError(
                f"configuration key {name}: spell nested keys with '__' between their "
                "parts, e.g. optimization__nlsq__sigma"
            )
        dotted[name.replace("__", ".")] = _plain_input(value, name)
    try:
        return json.dumps(dotted, allow_nan=False)
    except ValueError:
        bad = [n for n, v in keys.items() if _has_non_finite(v)]
        raise NLSQInputError(
            f"configuration key {', '.join(bad) or '?'}: NaN and infinity cannot be set; "
            "give finite numbers"
        ) from None


def _plain_input(value: Any, name: str) -> Any:
    """``value`` as JSON-ready Python values (numpy scalars and arrays, paths, tuples)."""
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (list, tuple)):
        return [_plain_input(v, name) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain_input(v, name) for k, v in value.items()}
    raise NLSQInputError(
        f"configuration key {name}: a {type(value).__name__} cannot be a configuration "
        "value; give a number, string, boolean, list or dict"
    )


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return any(_has_non_finite(v) for v in value)
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    if isinstance(value, (np.ndarray, np.generic)):
        return not bool(np.all(np.isfinite(value)))
    return False


def _plain_output(value: Any) -> Any:
    """``value`` with numpy arrays and scalars as lists and Python numbers."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _plain_output(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_output(v) for v in value]
    return value


def _warn(messages: List[str]) -> None:
    for message in messages:
        warnings.warn(message, XpcsWarning, stacklevel=3)


def _result(raw: Dict[str, Any], issued: List[str]) -> XpcsResult:
    """The :class:`XpcsResult` of ``_native.xpcs_fit``'s dict."""
    names = list(raw["parameter_names"])
    full = raw["result"]
    values = [float(v) for v in full["parameters"]]
    errors = [float(v) for v in full["uncertainties"]]
    truth = raw["truth"]
    multistart = raw["multistart"]
    info_keys = ("q", "n_t", "times", "start", "coarse_stages", "model_form", "data_path",
                 "noise_sigma", "held_scaling", "seconds", "aic", "bic")
    return XpcsResult(
        parameters=dict(zip(names, values)),
        uncertainties=dict(zip(names, errors)),
        chi_squared=float(full["chi_squared"]),
        reduced_chi_squared=float(full["reduced_chi_squared"]),
        per_angle_scaling={
            "phi": raw["phi"],
            "contrast": raw["contrast"],
            "offset": raw["offset"],
        },
        scaling_choice=raw["scaling_choice"],
        convergence_status=str(full["convergence_status"]),
        iterations=int(full["iterations"]),
        result=full,
        analysis_mode=raw["analysis_mode"],
        scaling=raw["scaling"],
        truth=None if truth is None else dict(zip(names, (float(v) for v in truth))),
        multistart=multistart,
        info={k: raw[k] for k in info_keys},
        files=list(raw["files"]),
        warnings=list(issued),
    )

"""Every module of the installed ``homodyne_rs`` package: its docstring examples run as
written, and every public function, class, method and property has a docstring.

The modules are discovered (:func:`pkgutil.walk_packages`), so a module added later is
checked without editing this file. A module's public items are its ``__all__`` and the
functions and classes it defines whose names do not start with ``_``; a class's public
members are the methods and properties it defines itself (``__init__`` is documented by
the class docstring, numpy style).
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
import re
import warnings
from pathlib import Path

import pytest

import homodyne_rs

# The package's readme (pyproject.toml's `readme`), beside this folder in a checkout.
README = Path(__file__).resolve().parents[1] / "README.md"

MODULES = ["homodyne_rs"] + sorted(
    info.name for info in pkgutil.walk_packages(homodyne_rs.__path__, "homodyne_rs.")
)

# Modules whose docstrings hold no ``>>>`` example, and why that is right.
WITHOUT_EXAMPLES = {
    # The compiled module: its docstrings come from the Rust doc comments; the examples
    # of each function and class are in the stub (_native.pyi), run by test_stubs.py.
    "homodyne_rs._native": "examples in _native.pyi (test_stubs.py)",
    # Argument checks shared by curve_fit and NLSQWrapper.fit, not called by users; every
    # error they raise is provoked through the public functions (test_errors.py).
    "homodyne_rs._fit_arguments": "private helpers, tested through curve_fit",
    # A package that re-exports nlsq.wrapper, whose docstrings hold the examples.
    "homodyne_rs.optimization.nlsq": "re-exports nlsq.wrapper (examples there)",
}


def test_the_walk_finds_every_module_the_package_documents():
    expected = {
        "homodyne_rs",
        "homodyne_rs._curve_fit",
        "homodyne_rs._least_squares",
        "homodyne_rs._native",
        "homodyne_rs._progress",
        "homodyne_rs.exceptions",
        "homodyne_rs.optimization",
        "homodyne_rs.optimization.nlsq.wrapper",
        "homodyne_rs.xpcs",
    }
    assert expected <= set(MODULES), f"not found: {expected - set(MODULES)}"


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    # Examples that write files (checkpoints, XPCS outputs) write them here.
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    assert inspect.getdoc(module), f"{name} has no module docstring"
    with warnings.catch_warnings():
        # Fits of the demo data warn about correlated parameters; the examples show
        # values, not warnings.
        warnings.simplefilter("ignore")
        results = doctest.testmod(
            module,
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
            verbose=False,
            report=False,
        )
    assert results.failed == 0, f"{results.failed} of {results.attempted} examples failed"
    if name in WITHOUT_EXAMPLES:
        assert results.attempted == 0, f"{name} now has examples: drop it from the list"
    else:
        assert results.attempted > 0, f"{name} has no examples"


def _public_items(module) -> list[tuple[str, object]]:
    """The module's public functions and classes: its ``__all__`` and what it defines
    under a name without a leading underscore."""
    names = set(getattr(module, "__all__", ()))
    names |= {
        n
        for n, v in vars(module).items()
        if not n.startswith("_") and getattr(v, "__module__", None) == module.__name__
    }
    items = []
    for n in sorted(names):
        value = getattr(module, n)
        if inspect.isclass(value) or inspect.isroutine(value):
            items.append((n, value))
    return items


def _public_members(cls: type) -> list[tuple[str, object]]:
    """The methods and properties ``cls`` defines itself, not inherited."""
    members = []
    for n, v in vars(cls).items():
        if n.startswith("_") and n not in ("__call__", "__len__"):
            continue
        if isinstance(v, (staticmethod, classmethod)):
            v = v.__func__
        if isinstance(v, property) or inspect.isroutine(v) or inspect.isdatadescriptor(v):
            members.append((n, v))
    return members


def _undocumented(name: str) -> list[str]:
    module = importlib.import_module(name)
    missing = []
    for item, value in _public_items(module):
        # A class's own docstring, not one inherited from a base (Exception's, say).
        doc = vars(value).get("__doc__") if inspect.isclass(value) else value.__doc__
        if not (doc and doc.strip()):
            missing.append(item)
        if inspect.isclass(value):
            for member, attribute in _public_members(value):
                if not (attribute.__doc__ and attribute.__doc__.strip()):
                    missing.append(f"{item}.{member}")
    return missing


@pytest.mark.parametrize("name", MODULES)
def test_every_public_item_has_a_docstring(name):
    assert _undocumented(name) == [], f"public items of {name} without a docstring"


def test_the_docstring_check_sees_public_items():
    """The check above looks at something: the package's public functions, classes and
    their members are found."""
    found = {
        name: _public_items(importlib.import_module(name))
        for name in ("homodyne_rs", "homodyne_rs.optimization", "homodyne_rs.xpcs")
    }
    assert {"curve_fit", "least_squares"} <= {n for n, _ in found["homodyne_rs"]}
    optimization = dict(found["homodyne_rs.optimization"])
    assert "NLSQWrapper" in optimization
    assert "fit" in dict(_public_members(optimization["NLSQWrapper"]))
    assert {"fit", "load"} <= {n for n, _ in found["homodyne_rs.xpcs"]}


@pytest.mark.skipif(not README.is_file(), reason="the tests run outside a checkout")
def test_the_readme_examples_run(tmp_path, monkeypatch):
    """The ``pycon`` blocks of the package's README run in order, as one session."""
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```pycon\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 5, "the README lost its examples"
    test = doctest.DocTestParser().get_doctest(
        "\n".join(blocks), {}, "README.md", str(README), 0
    )
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    result = runner.run(test)
    assert result.failed == 0, f"{result.failed} of {result.attempted} README examples failed"

"""The type stubs of ``homodyne_rs._native`` (``_native.pyi``) against the compiled module.

The stub is read with :mod:`ast` (never imported) and compared with what the extension
module registers: every public name of the module is stubbed and nothing else is, every
class has the same public members, and every function and method has the parameters of
its ``#[pyo3(signature = ...)]`` (names, kinds and default values) as
:func:`inspect.signature` reads them from the compiled module. So the stub cannot drift
from the Rust code. The examples in the stub's docstrings run against the module too.
"""

from __future__ import annotations

import ast
import doctest
import inspect
from pathlib import Path

import pytest

import homodyne_rs
from homodyne_rs import _native

STUB = Path(homodyne_rs.__file__).with_name("_native.pyi")


def _stub() -> ast.Module:
    return ast.parse(STUB.read_text(encoding="utf-8"), filename=str(STUB))


def _is_public(name: str) -> bool:
    """Public as the module and the stub see it: no leading underscore, or a dunder the
    module defines on purpose (``__version__``, ``__len__``)."""
    return not name.startswith("_") or name in ("__version__", "__len__")


def _stub_top_level() -> dict[str, ast.AST]:
    """The stub's module-level functions, classes and annotated variables by name."""
    names: dict[str, ast.AST] = {}
    for node in _stub().body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
    return {k: v for k, v in names.items() if _is_public(k)}


def _native_public() -> set[str]:
    # The module's own names: imports (none today) would carry a __module__ elsewhere.
    return {name for name in vars(_native) if _is_public(name)}


def test_the_stub_ships_with_the_package_and_a_py_typed_marker():
    assert STUB.is_file(), f"{STUB} is missing: IDEs and mypy would see no types"
    assert STUB.with_name("py.typed").is_file(), "py.typed (PEP 561) is missing"


def test_every_registered_name_is_stubbed_and_nothing_else():
    stubbed = set(_stub_top_level())
    registered = _native_public()
    assert registered - stubbed == set(), "registered in Rust but not in _native.pyi"
    assert stubbed - registered == set(), "in _native.pyi but not registered in Rust"
    # pyo3 lists what it registers in __all__; the stub covers exactly that list.
    assert set(_native.__all__) == stubbed


def _class_members(node: ast.ClassDef) -> dict[str, ast.FunctionDef]:
    return {
        f.name: f
        for f in node.body
        if isinstance(f, ast.FunctionDef) and (_is_public(f.name) or f.name == "__init__")
    }


@pytest.mark.parametrize(
    "name", sorted(n for n in dir(_native) if isinstance(getattr(_native, n), type))
)
def test_each_class_has_the_stubbed_members(name):
    node = _stub_top_level()[name]
    assert isinstance(node, ast.ClassDef), f"{name} is a class in Rust, not in the stub"
    cls = getattr(_native, name)
    members = _class_members(node)
    stubbed = set(members) - {"__init__"}
    compiled = {m for m in vars(cls) if _is_public(m) and m != "__doc__"}
    assert compiled - stubbed == set(), f"{name}: members missing from the stub"
    assert stubbed - compiled == set(), f"{name}: stubbed members Rust does not define"
    for member, fn in members.items():
        is_property = any(
            isinstance(d, ast.Name) and d.id == "property" for d in fn.decorator_list
        )
        if member == "__init__":
            continue
        getset = inspect.isdatadescriptor(vars(cls)[member])
        assert is_property == getset, f"{name}.{member}: property in one, method in other"


def _stub_parameters(fn: ast.FunctionDef, method: bool) -> list[tuple[str, str, object]]:
    """``(name, kind, default)`` of a stubbed function, ``self`` left out."""
    a = fn.args
    positional = a.posonlyargs + a.args
    defaults: list[object] = [inspect.Parameter.empty] * (
        len(positional) - len(a.defaults)
    ) + [ast.literal_eval(d) for d in a.defaults]
    params = [
        (p.arg, "POSITIONAL_OR_KEYWORD", d) for p, d in zip(positional, defaults)
    ]
    for p, d in zip(a.kwonlyargs, a.kw_defaults):
        default = inspect.Parameter.empty if d is None else ast.literal_eval(d)
        params.append((p.arg, "KEYWORD_ONLY", default))
    return params[1:] if method else params


def _compiled_parameters(obj: object) -> list[tuple[str, str, object]]:
    signature = inspect.signature(obj)  # type: ignore[arg-type]
    return [
        (p.name, p.kind.name, p.default)
        for p in signature.parameters.values()
        if p.name != "self"
    ]


def _signatures() -> list[tuple[str, object, ast.FunctionDef, bool]]:
    """Every callable with its stub: functions, class constructors (``__init__``
    against the class's text signature) and methods."""
    cases = []
    top = _stub_top_level()
    for name, node in top.items():
        value = getattr(_native, name, None)
        if isinstance(node, ast.FunctionDef):
            cases.append((name, value, node, False))
        elif isinstance(node, ast.ClassDef):
            for member, fn in _class_members(node).items():
                if member == "__init__":
                    cases.append((f"{name}()", value, fn, True))
                elif member != "__len__" and not fn.decorator_list:
                    cases.append((f"{name}.{member}", getattr(value, member), fn, True))
    return cases


@pytest.mark.parametrize(
    "label,compiled,stub,method", _signatures(), ids=[c[0] for c in _signatures()]
)
def test_signatures_match_the_rust_attributes(label, compiled, stub, method):
    assert _stub_parameters(stub, method) == _compiled_parameters(compiled), label


def test_the_examples_in_the_stub_run():
    """The ``>>>`` examples of the stub's docstrings, run with the module's names."""
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tree = _stub()
    docs = [("_native", ast.get_docstring(tree))]
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            docs.append((node.name, ast.get_docstring(node)))
    ran = 0
    for name, doc in docs:
        if not doc or ">>>" not in doc:
            continue
        test = parser.get_doctest(doc, dict(vars(_native)), name, str(STUB), 0)
        result = runner.run(test, clear_globs=True)
        ran += result.attempted
        assert result.failed == 0, f"the example of {name} in _native.pyi fails"
    assert ran >= 10, f"only {ran} examples ran: were the stub's docstrings lost?"

"""The examples in the docstrings of homodyne_rs.optimization's support modules run as
written (documentation that is tested cannot drift from the code)."""

import doctest
import importlib

import pytest

MODULES = [
    "homodyne_rs.optimization",
    "homodyne_rs.optimization.strategy",
    "homodyne_rs.optimization.checkpoint_manager",
    "homodyne_rs.optimization.batch_statistics",
    "homodyne_rs.optimization.numerical_validation",
    "homodyne_rs.optimization.recovery_strategies",
    "homodyne_rs.optimization.exceptions",
    "homodyne_rs.optimization._bounds",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    results = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert results.attempted > 0, f"{name} has no examples"
    assert results.failed == 0, f"{results.failed} of {results.attempted} examples failed"

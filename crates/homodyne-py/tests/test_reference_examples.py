"""The reference's examples (tests/reference_examples.txt) run as a doctest.

Every `>>>` example of the published reference of the Python homodyne package's
optimization API, changed only in its import lines (and set-up lines for the names the
reference leaves undefined), must run against homodyne_rs and print what the reference
says it prints.
"""

import doctest
from pathlib import Path

EXAMPLES = Path(__file__).with_name("reference_examples.txt")


def test_every_reference_example_runs(tmp_path, monkeypatch):
    # The checkpoint examples write ./checkpoints: keep them in a scratch directory.
    monkeypatch.chdir(tmp_path)
    results = doctest.testfile(
        str(EXAMPLES),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        verbose=False,
    )
    # doctest printed each failing example with its expected and actual output above.
    assert results.attempted > 50, f"only {results.attempted} examples were found"
    assert results.failed == 0, f"{results.failed} of {results.attempted} examples failed"
    assert (tmp_path / "checkpoints" / "homodyne_state_batch_0010.h5").is_file()

"""The crate documentation of the compiled module (``src/lib.rs``) shows Python: a
rustdoc example cannot run an extension module that links against the interpreter
importing it. Its ``python`` blocks run here, as written, so the example stays true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

LIB_RS = Path(__file__).resolve().parents[1] / "src" / "lib.rs"


def crate_doc_python_blocks() -> list[str]:
    """The ```python blocks of the ``//!`` comment at the top of ``src/lib.rs``."""
    doc = "\n".join(
        line[4:] if line.startswith("//! ") else line[3:]
        for line in LIB_RS.read_text(encoding="utf-8").splitlines()
        if line.startswith("//!")
    )
    return re.findall(r"```python\n(.*?)```", doc, re.S)


@pytest.mark.skipif(not LIB_RS.is_file(), reason="the tests run outside a checkout")
def test_the_crate_doc_example_runs():
    blocks = crate_doc_python_blocks()
    assert blocks, "src/lib.rs lost its Python example"
    for block in blocks:
        exec(compile(block, str(LIB_RS), "exec"), {})

"""Reading NIST StRD nonlinear regression files (crates/homodyne/tests/data/nist/*.dat).

Used by bench/scipy_nist_defaults.py and crates/homodyne-cli/tests/data/nist/convert.py.
"""


def read_dat(path):
    """The two certified starts, the certified values and the data lines of a .dat file.

    Returns ``(starts, certified, data_lines)``: ``starts`` holds the parameter values of
    start 1 and of start 2, ``certified`` the certified parameter values (each in the
    order b1, b2, ...), ``data_lines`` the file's lines after the ``Data:`` line, as
    written.
    """
    lines = path.read_text().splitlines()
    starts, certified, data_at = [[], []], [], None
    for i, line in enumerate(lines):
        t = line.strip()
        if t.startswith("b") and "=" in t:
            label, values = t.split("=", 1)
            v = values.split()
            if label.strip()[1:].isdigit() and len(v) == 4:
                starts[0].append(float(v[0]))
                starts[1].append(float(v[1]))
                certified.append(float(v[2]))
        if t.startswith("Data:"):
            data_at = i + 1
    return starts, certified, lines[data_at:]

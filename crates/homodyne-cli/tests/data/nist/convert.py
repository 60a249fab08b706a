"""Converts the 12 NIST StRD problems of the reference set to CSV files and a manifest.

Run from the repository root: python3 crates/homodyne-cli/tests/data/nist/convert.py
Reads crates/homodyne/tests/data/nist/<name>.dat (NIST's files, public domain) and writes,
beside this script, <name>.csv (header "x,y") and manifest.json with each problem's
formula in the command line's syntax, its two certified starts and certified values.
"""
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
SOURCE = HERE.parents[3] / "homodyne" / "tests" / "data" / "nist"

FORMULAS = {
    "Misra1a": "b1*(1-exp(-b2*x))",
    "Chwirut2": "exp(-b1*x)/(b2+b3*x)",
    "Gauss1": "b1*exp(-b2*x) + b3*exp(-(x-b4)**2/b5**2) + b6*exp(-(x-b7)^2/b8^2)",
    "DanWood": "b1*x**b2",
    "Kirby2": "(b1 + b2*x + b3*x**2) / (1 + b4*x + b5*x**2)",
    "Hahn1": "(b1+b2*x+b3*x**2+b4*x**3) / (1+b5*x+b6*x**2+b7*x**3)",
    "MGH17": "b1 + b2*exp(-x*b4) + b3*exp(-x*b5)",
    "Lanczos2": "b1*exp(-b2*x) + b3*exp(-b4*x) + b5*exp(-b6*x)",
    "MGH09": "b1*(x^2+x*b2) / (x^2+x*b3+b4)",
    "Thurber": "(b1 + b2*x + b3*x^2 + b4*x^3) / (1 + b5*x + b6*x^2 + b7*x^3)",
    "BoxBOD": "b1*(1-exp(-b2*x))",
    "Rat43": "b1 / ((1+exp(b2-b3*x))**(1/b4))",
}


def parse(name):
    lines = (SOURCE / f"{name}.dat").read_text().splitlines()
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
    rows = [l.split() for l in lines[data_at:] if len(l.split()) == 2]
    return starts, certified, rows


manifest = {}
for name, formula in FORMULAS.items():
    starts, certified, rows = parse(name)
    with open(HERE / f"{name}.csv", "w") as out:
        out.write(f"# NIST StRD {name} (public domain): y = {formula}\n")
        out.write("x,y\n")
        for y, x in rows:
            out.write(f"{x},{y}\n")
    manifest[name] = {"formula": formula, "starts": starts, "certified": certified}
(HERE / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
print(f"wrote {len(manifest)} problems to {HERE}")

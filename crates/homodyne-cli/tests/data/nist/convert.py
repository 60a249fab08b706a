"""Converts the 12 NIST StRD problems of the reference set to CSV files and a manifest.

Run from the repository root: python3 crates/homodyne-cli/tests/data/nist/convert.py
Reads crates/homodyne/tests/data/nist/<name>.dat (NIST's files, public domain) and writes,
beside this script, <name>.csv (header "x,y") and manifest.json with each problem's
formula in the command line's syntax, its two certified starts and certified values.
"""
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[4] / "bench"))
from nist_strd import read_dat  # noqa: E402

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
    starts, certified, data_lines = read_dat(SOURCE / f"{name}.dat")
    rows = [l.split() for l in data_lines if len(l.split()) == 2]
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

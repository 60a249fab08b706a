#!/usr/bin/env python3
"""Collects the runs of bench/xpcs_compare/run.sh into results.json and tables.md.

    target/pyvenv-homodyne/bin/python bench/xpcs_compare/collect.py [--tag T] OUTDIR CASE...

With --tag T the files are results_T.json and tables_T.md.
"""
from __future__ import annotations

import json
import re
import statistics
import sys
from pathlib import Path

import numpy as np

args = sys.argv[1:]
tag = ""
if args[:1] == ["--tag"]:
    tag = "_" + args[1]
    args = args[2:]
out = Path(args[0])
cases = args[1:]


def search_into(r: dict, s: str, fields) -> None:
    """For each (key, pattern, convert) of fields whose pattern matches in s, sets
    r[key] to convert(the first group)."""
    for key, pattern, convert in fields:
        m = re.search(pattern, s)
        if m:
            r[key] = convert(m.group(1))


def clock_seconds(text: str) -> float:
    """Seconds of an "h:mm:ss" or "m:ss" duration."""
    sec = 0.0
    for p in text.split(":"):
        sec = sec * 60 + float(p)
    return sec


# What time_v reads of a /usr/bin/time -v report.
TIME_V_FIELDS = (
    ("wall_s", r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", clock_seconds),
    ("max_rss_mib", r"Maximum resident set size \(kbytes\): (\d+)", lambda v: int(v) / 1024),
    ("user_s", r"User time \(seconds\): (\S+)", float),
    ("sys_s", r"System time \(seconds\): (\S+)", float),
    ("exit_status", r"Exit status: (\d+)", int),
)


def time_v(path: Path) -> dict:
    r = {}
    if path.exists():
        search_into(r, path.read_text(), TIME_V_FIELDS)
    return r


def load_of(path: Path) -> str | None:
    if not path.exists():
        return None
    m = re.search(r"load average: (.*)$", path.read_text().strip())
    return m.group(1) if m else None


def parse_ours(path: Path) -> dict:
    s = path.read_text() if path.exists() else ""
    r: dict = {"params": {}}
    m = re.search(r"fit: (.*?) in ([\d.]+) s, (\d+) iterations \((\d+) cost and (\d+) Jacobian evaluations\), strategy (\S+)", s)
    if m:
        r.update(status=m.group(1), fit_s=float(m.group(2)), iterations=int(m.group(3)),
                 cost_evals=int(m.group(4)), jac_evals=int(m.group(5)), strategy=m.group(6))
    r["stages"] = [f"every {a}th row ({b} points): {c}" for a, b, c in
                   re.findall(r"^  every (\d+)th row \((\d+) points\): (.*)$", s, re.M)]
    search_into(r, s, (("load_s", r"loaded in ([\d.]+) s", float),))
    m = re.search(r"chi-squared (\S+), reduced (\S+)", s)
    if m:
        r["chi_squared"] = float(m.group(1))
        r["reduced_chi_squared"] = float(m.group(2))
    # The scaling table: one row per angle ("phi X deg  contrast  +-  offset  +-") or
    # one shared row ("all angles ...").
    rows = re.findall(r"^(?:phi \S+ deg|all angles)\s+(\S+)\s+\S+\s+(\S+)\s+\S+$", s, re.M)
    if rows:
        r["contrast_mean"] = sum(float(c) for c, _ in rows) / len(rows)
        r["offset_mean"] = sum(float(o) for _, o in rows) / len(rows)
    search_into(r, s, (("total_s", r"total ([\d.]+) s", float),))
    for line in s.splitlines():
        m = re.match(r"^(D0|alpha|D_offset|gamma_dot_t0|beta|gamma_dot_t_offset|phi0)\s+(\S+)\s+(\S+)\s*$", line)
        if m:
            r["params"][m.group(1)] = {"value": float(m.group(2)), "uncertainty": float(m.group(3))}
    r["header"] = s.splitlines()[0] if s else ""
    return r


# The keys copied from each JSON file the package writes (NaN read as null);
# parameters.json's "parameters" become r["params"].
PKG_JSON_KEYS = {
    "parameters.json": ("parameters", "chi_squared", "reduced_chi_squared", "convergence_status"),
    "analysis_results_nlsq.json": ("fit_quality", "optimization_summary", "dataset_info"),
    "convergence_metrics.json": ("quality_warnings", "quality_checks"),
}


def parse_pkg(d: Path) -> dict:
    r: dict = {"params": {}}
    nl = d / "pkg_out" / "nlsq"
    for file, keys in PKG_JSON_KEYS.items():
        p = nl / file
        if p.exists():
            j = json.loads(p.read_text().replace("NaN", "null"))
            r.update((key, j.get(key)) for key in keys)
    if (nl / "parameters.json").exists():
        r["params"] = r.pop("parameters") or {}
    p = nl / "fitted_data.npz"
    if p.exists():
        z = np.load(p)
        if "per_angle_scaling_solver" in z:
            r["per_angle_scaling_solver"] = z["per_angle_scaling_solver"].tolist()
        if "phi_angles" in z:
            r["phi_angles"] = z["phi_angles"].tolist()
    log = d / "pkg.out"
    if log.exists():
        s = log.read_text(errors="replace")
        ph = {}
        for name in ("config_loading", "data_loading", "optimization", "result_saving"):
            m = re.search(rf"^\s+{name}: ([\d.]+)s", s, re.M)
            if m:
                ph[name] = float(m.group(1))
        r["phases_s"] = ph
        search_into(r, s, (("total_runtime_s", r"Total runtime: ([\d.]+)s", float),))
        keep = []
        pat = re.compile(r"(Stratif|strateg|Strategy|Selected|per.angle|Per-angle|anti.degeneracy|"
                         r"iterations|nfev|converged|Converged|NOT optimized|ZERO UNCERTAINT|Singular|"
                         r"ERROR|Traceback|Error)")
        for line in s.splitlines():
            if line.startswith(("INFO:", "DEBUG:", "WARNING:")):
                continue  # the package logs each line twice; keep the "LEVEL |" copy
            if pat.search(line):
                keep.append(line.rstrip()[:300])
        r["log_excerpt"] = keep[:80]
    return r


def with_run_files(r: dict, d: Path, stem: str) -> dict:
    """Adds to r what run.sh wrote beside the run `stem` in d: its /usr/bin/time -v
    report, the load average before it, its exit status."""
    r["time"] = time_v(d / f"{stem}.time")
    r["load_before"] = load_of(d / f"{stem}.uptime")
    rc = d / f"{stem}.rc"
    r["rc"] = int(rc.read_text()) if rc.exists() else None
    return r


results = {"machine": (out / "machine.txt").read_text() if (out / "machine.txt").exists() else ""}
md = []
for c in cases:
    d = out / c
    info = json.loads((out / "data" / f"{c}_truth.json").read_text())
    ours = []
    for i in (1, 2, 3):
        o = with_run_files(parse_ours(d / f"ours_{i}.out"), d, f"ours_{i}")
        err = d / f"ours_{i}.err"
        o["stderr"] = err.read_text() if err.exists() else ""
        ours.append(o)
    pkg = with_run_files(parse_pkg(d), d, "pkg")
    walls = [o["time"].get("wall_s") for o in ours if o["time"].get("wall_s") is not None]
    med = statistics.median(walls) if walls else None
    pw = pkg["time"].get("wall_s")
    ratio = pw / med if (pw and med) else None
    results[c] = {"info": info, "ours": ours, "package": pkg,
                  "ours_median_wall_s": med, "ratio_end_to_end": ratio}

    names = list(info["truth"].keys())
    md.append(f"### {c}: {info['analysis_mode']}, {len(info['phi'])} angles x {info['frames_in_file']} frames "
              f"in the file ({info['points_in_file']:,} points); fitted {len(info['phi'])} x "
              f"{info['frames_fitted']} = {info['points_fitted']:,} points (t = 0 dropped)\n")
    md.append("| | ours (median of 3) | package (1 run) | package / ours |")
    md.append("| --- | --- | --- | --- |")
    ow = ", ".join(f"{w:.2f}" for w in walls)
    pkg_wall = f"{pw:.1f} s" if pw else "n/a"
    if pkg["rc"] == 124:
        pkg_wall = f"> {pw:.0f} s (stopped)"
    md.append(f"| wall time, end to end | {med:.2f} s ({ow}) | {pkg_wall} | **{ratio:.0f}x** |" if ratio else
              f"| wall time, end to end | {med} s ({ow}) | {pkg_wall} | n/a |")
    orss = [o["time"].get("max_rss_mib", float('nan')) for o in ours]
    prss = pkg["time"].get("max_rss_mib")
    md.append(f"| peak RSS | {statistics.median(orss):.0f} MiB | {prss:.0f} MiB | {prss / statistics.median(orss):.0f}x |"
              if prss else f"| peak RSS | {statistics.median(orss):.0f} MiB | n/a | |")
    ou = [o["time"].get("user_s", 0) + o["time"].get("sys_s", 0) for o in ours]
    pu = pkg["time"].get("user_s", 0) + pkg["time"].get("sys_s", 0)
    md.append(f"| CPU time (user + sys) | {statistics.median(ou):.2f} s | {pu:.1f} s | {pu / statistics.median(ou):.0f}x |")
    of = [o.get("fit_s") for o in ours if o.get("fit_s") is not None]
    po = pkg.get("phases_s", {}).get("optimization")
    if of and po:
        md.append(f"| fit alone (each program's own timer) | {statistics.median(of):.2f} s | {po:.1f} s (phase 'optimization') | {po / statistics.median(of):.0f}x |")
    if pkg.get("phases_s"):
        md.append("| package phases | | " + ", ".join(f"{k} {v:.1f} s" for k, v in pkg["phases_s"].items()) + " | |")
    md.append(f"| exit status | {', '.join(str(o['rc']) for o in ours)} | {pkg['rc']} | |")
    md.append(f"| load average before | {' / '.join(str(o['load_before']) for o in ours)} | {pkg['load_before']} | |")
    md.append("")
    o0 = ours[0]
    md.append("| parameter | truth | ours | ours +- | (ours - truth) / +- | package | package +- |")
    md.append("| --- | --- | --- | --- | --- | --- | --- |")
    for n in names:
        t = info["truth"][n]
        ov = o0["params"].get(n, {})
        pv = pkg["params"].get(n, {})
        z = (ov["value"] - t) / ov["uncertainty"] if ov.get("uncertainty") else float("nan")
        pvs = f"{pv['value']:.6g}" if pv.get("value") is not None else "n/a"
        pus = f"{pv['uncertainty']:.3g}" if pv.get("uncertainty") is not None else "n/a"
        md.append(f"| {n} | {t:g} | {ov.get('value', float('nan')):.6g} | {ov.get('uncertainty', float('nan')):.3g} | {z:+.1f} | {pvs} | {pus} |")
    tc = statistics.mean(info["contrast"])
    to = statistics.mean(info["offset"])
    pc = pkg["params"].get("contrast", {}).get("value")
    po_ = pkg["params"].get("offset", {}).get("value")
    md.append(f"| contrast (mean of 3) | {tc:g} | {o0.get('contrast_mean', float('nan')):.5g} | | | {pc if pc is None else f'{pc:.5g}'} | |")
    md.append(f"| offset (mean of 3) | {to:g} | {o0.get('offset_mean', float('nan')):.5g} | | | {po_ if po_ is None else f'{po_:.5g}'} | |")
    md.append("")
    osum = pkg.get("optimization_summary") or {}
    fq = pkg.get("fit_quality") or {}
    md.append(f"- ours: {o0.get('status')}, {o0.get('iterations')} iterations ({o0.get('cost_evals')} cost, "
              f"{o0.get('jac_evals')} Jacobian evaluations), strategy {o0.get('strategy')}, chi-squared "
              f"{o0.get('chi_squared')}, reduced {o0.get('reduced_chi_squared')}; fit {o0.get('fit_s')} s, "
              f"load {o0.get('load_s')} s, total {o0.get('total_s')} s (run 1)")
    if o0.get("stages"):
        md.append(f"- ours, coarse stages before that full fit (run 1): {'; '.join(o0['stages'])}")
    md.append(f"- package: convergence_status {pkg.get('convergence_status')}, iterations {osum.get('iterations')}, "
              f"execution_time {osum.get('execution_time')}, chi_squared {pkg.get('chi_squared')}, reduced "
              f"{pkg.get('reduced_chi_squared')}, quality_flag {fq.get('quality_flag')}, dof {fq.get('degrees_of_freedom')}")
    if pkg.get("per_angle_scaling_solver"):
        md.append(f"- package per-angle [contrast, offset] (fitted_data.npz per_angle_scaling_solver): "
                  f"{np.round(pkg['per_angle_scaling_solver'], 5).tolist()}; truth contrast {info['contrast']}, offset {info['offset']}")
    md.append("")

(out / f"results{tag}.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
(out / f"tables{tag}.md").write_text("\n".join(md) + "\n")
print("\n".join(md))

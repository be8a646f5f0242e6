"""Optuna reference for `tuna bench multi`: hypervolume @50/100/200 of Optuna's NSGAIISampler
and multi-objective TPESampler on the ZDT and DTLZ2 problems, over seeds.

    /tmp/ref-venv/bin/python bench/multi_objective.py --out bench/multi_objective_optuna.json
    tuna bench multi --reference bench/multi_objective_optuna.json

The problems (formulas, dimensions, reference points) are the ones of
Sources/TunaSearch/Benchmarks/MultiObjectiveProblems.swift; each result carries its dimension
and reference point, and the Swift bench refuses results whose problem definition differs.
Needs optuna and numpy in a throwaway venv (never committed).
"""
import argparse
import json
import math
import time

import numpy as np
import optuna
from optuna._hypervolume import compute_hypervolume


def zdt(variant, d):
    def f(x):
        f1 = x[0]
        g = 1 + 9 * sum(x[1:]) / (d - 1)
        r = f1 / g
        if variant == 2:
            h = 1 - r * r
        elif variant == 3:
            h = 1 - math.sqrt(r) - r * math.sin(10 * math.pi * f1)
        else:
            h = 1 - math.sqrt(r)
        return [f1, g * h]
    return {"dimensions": d, "reference": [1.1, 11.0], "f": f}


def dtlz2(d=12):
    def f(x):
        g = sum((xi - 0.5) ** 2 for xi in x[2:])
        a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
        return [(1 + g) * math.cos(a) * math.cos(b), (1 + g) * math.cos(a) * math.sin(b), (1 + g) * math.sin(a)]
    return {"dimensions": d, "reference": [2.5, 2.5, 2.5], "f": f}


PROBLEMS = {
    "zdt1": zdt(1, 30), "zdt2": zdt(2, 30), "zdt3": zdt(3, 30),
    "zdt1-5d": zdt(1, 5), "zdt2-5d": zdt(2, 5), "zdt3-5d": zdt(3, 5),
    "dtlz2": dtlz2(),
}
SAMPLERS = {
    "optuna-nsga2": lambda seed: optuna.samplers.NSGAIISampler(seed=seed),
    "optuna-tpe": lambda seed: optuna.samplers.TPESampler(seed=seed),
}


def hypervolume(values, reference):
    ref = np.array(reference)
    pts = np.array([v for v in values if all(a < b for a, b in zip(v, reference))])
    return float(compute_hypervolume(pts, ref)) if len(pts) else 0.0


def run(problem, make, seed, evaluations, checkpoints):
    p = PROBLEMS[problem]
    d, f = p["dimensions"], p["f"]
    study = optuna.create_study(directions=["minimize"] * len(p["reference"]), sampler=make(seed))
    values, out = [], {}
    start = time.perf_counter()
    for n in range(evaluations):
        trial = study.ask()
        x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(d)]
        v = f(x)
        study.tell(trial, v)
        values.append(v)
        if n + 1 in checkpoints:
            out[n + 1] = hypervolume(values, p["reference"])
    return out, (time.perf_counter() - start) * 1000 / evaluations


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--problems", default="zdt1,zdt2,zdt3,zdt1-5d,dtlz2")
    ap.add_argument("--samplers", default=",".join(SAMPLERS))
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--evaluations", type=int, default=200)
    ap.add_argument("--out", default="bench/multi_objective_optuna.json")
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    checkpoints = [c for c in (50, 100, 200) if c <= args.evaluations]
    results = []
    for problem in args.problems.split(","):
        for name in args.samplers.split(","):
            per_seed, ms = [], []
            for seed in range(args.seeds):
                hv, t = run(problem, SAMPLERS[name], seed, args.evaluations, checkpoints)
                per_seed.append(hv)
                ms.append(t)
            at = {}
            for c in checkpoints:
                q25, med, q75 = np.percentile([h[c] for h in per_seed], [25, 50, 75])
                at[str(c)] = {"q25": q25, "median": med, "q75": q75}
            row = {
                "sampler": name, "problem": problem, "seeds": args.seeds,
                "dimensions": PROBLEMS[problem]["dimensions"], "reference": PROBLEMS[problem]["reference"],
                "hypervolume_at": at, "ms_per_trial": float(np.mean(ms)), "optuna": optuna.__version__,
            }
            print(json.dumps(row), flush=True)
            results.append(row)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()

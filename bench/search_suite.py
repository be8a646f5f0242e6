"""Reference samplers on the instances of `tuna bench search --suite`.

Reads the instance file Tuna writes (`tuna bench search --suite --write-instances FILE`),
evaluates the same transformed functions in numpy (the formulas of
Sources/TunaSearch/Benchmarks/Suite/SuiteFamilies.swift and SuiteInstance.swift), runs
Optuna's GPSampler, Optuna's TPESampler (defaults) and scikit-optimize's gp_minimize
(acq_func="EI") on each instance, and writes the best-so-far regret curves as JSON for
`tuna bench search --suite --reference FILE`.

Usage:
  OMP_NUM_THREADS=1 python bench/search_suite.py instances.json --out ref.json
        [--samplers optuna_gp,optuna_tpe,skopt_gp] [--evaluations 50] [--seeds 10] [--only f1,f2]
  python bench/search_suite.py instances.json --fixture Tests/TunaSearchTests/SuiteFixture.json
        (three points per function of the seed-0 instances, with their values, for the Swift test)

Run it with the reference environment (optuna, scikit-optimize, torch for GPSampler); one
thread, since the machine is shared.
"""
import argparse
import json
import math
import os
import sys
import time
import warnings

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

warnings.filterwarnings("ignore")

U0_ST = -2.9035340277711776
W_OFFSET = sum(0.5 ** k * math.cos(2 * math.pi * 3 ** k * 0.5) for k in range(12))


def weight(i, d, k):
    return 10 ** (k * i / (d - 1)) if d > 1 else 1.0


def family_value(family, z):
    z = np.asarray(z, dtype=float)
    d = len(z)
    if family == "sphere":
        return float(np.sum(z * z))
    if family == "ellipsoid":
        return float(sum(weight(i, d, 6) * z[i] ** 2 for i in range(d)))
    if family == "rastrigin":
        return float(np.sum(z * z - 10 * np.cos(2 * math.pi * z) + 10))
    if family == "styblinski_tang":
        fmin = 0.5 * (U0_ST ** 4 - 16 * U0_ST ** 2 + 5 * U0_ST)
        u = z + U0_ST
        return float(np.sum(0.5 * (u ** 4 - 16 * u ** 2 + 5 * u) - fmin))
    if family == "attractive_sector":
        w = np.where(z > 0, 100 * z, z)
        return float(np.sum(w * w) ** 0.9)
    if family == "step_ellipsoid":
        # Swift's .rounded() rounds halves away from zero (np.round would round them to even).
        r = np.sign(z) * np.floor(np.abs(2 * z) + 0.5) / 2
        s = sum(weight(i, d, 2) * r[i] ** 2 for i in range(d))
        return float(s + 1e-3 * np.sum(z * z))
    if family in ("rosenbrock", "griewank_rosenbrock"):
        c = max(1.0, math.sqrt(d) / 8)
        a = c * z[:-1] + 1
        b = c * z[1:] + 1
        r = 100 * (a * a - b) ** 2 + (a - 1) ** 2
        if family == "rosenbrock":
            return float(np.sum(r))
        return float(10 * np.sum(r / 4000 - np.cos(r)) / (d - 1) + 10)
    if family == "discus":
        return float(1e6 * z[0] ** 2 + np.sum(z[1:] ** 2))
    if family == "bent_cigar":
        return float(z[0] ** 2 + 1e6 * np.sum(z[1:] ** 2))
    if family == "sharp_ridge":
        return float(z[0] ** 2 + 100 * math.sqrt(np.sum(z[1:] ** 2)))
    if family == "different_powers":
        return float(math.sqrt(sum(abs(z[i]) ** (2 + 4 * i / max(d - 1, 1)) for i in range(d))))
    if family == "weierstrass":
        s = 0.0
        for v in z:
            for k in range(12):
                s += 0.5 ** k * math.cos(2 * math.pi * 3 ** k * (v + 0.5))
        m = s / d - W_OFFSET
        return float(10 * m ** 3)
    if family == "schaffers":
        r = np.sqrt(z[:-1] ** 2 + z[1:] ** 2)
        s = np.sum(np.sqrt(r) + np.sqrt(r) * np.sin(50 * r ** 0.2) ** 2)
        return float((s / (d - 1)) ** 2)
    if family == "ackley":
        return float(-20 * math.exp(-0.2 * math.sqrt(np.sum(z * z) / d))
                     - math.exp(np.sum(np.cos(2 * math.pi * z)) / d) + 20 + math.e)
    if family == "levy":
        w = 1 + z / 4
        s = math.sin(math.pi * w[0]) ** 2
        s += float(np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2)))
        return float(s + (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2))
    if family == "griewank":
        u = 10 * z
        return float(np.sum(u * u / 4000) - np.prod(np.cos(u / np.sqrt(np.arange(1, d + 1)))) + 1)
    if family == "six_hump_camel":
        a = 0.6 * z[0] + 0.0898420104404063
        b = 0.6 * z[1] - 0.712656403020575
        v = (4 - 2.1 * a * a + a ** 4 / 3) * a * a + a * b + (-4 + 4 * b * b) * b * b
        return max(v + 1.031628453489877, 0.0)
    if family == "zakharov":
        t = float(np.sum(0.5 * np.arange(1, d + 1) * z))
        return float(np.sum(z * z) + t * t + t ** 4)
    raise ValueError(f"unknown family {family}")


class Instance:
    def __init__(self, spec):
        self.function = spec["function"]
        self.family = spec["family"]
        self.seed = spec["seed"]
        self.kinds = spec["kinds"]
        self.shift = np.array(spec["shift"])
        self.scale = np.array(spec["scale"])
        self.rotation = np.array(spec["rotation"])
        self.levels = spec["levels"]

    def value(self, x):
        u = self.scale * (np.asarray(x, dtype=float) - self.shift)
        return family_value(self.family, self.rotation @ u)

    def point(self, params):
        """Box point of a list of per-coordinate values (floats, ints or choice labels)."""
        out = []
        for i, (kind, v) in enumerate(zip(self.kinds, params)):
            out.append(self.levels[i][int(v[1:])] if kind == "categorical" else float(v))
        return out


def run_optuna(inst, sampler_name, evaluations, low, high, choices):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = (optuna.samplers.GPSampler(seed=inst.seed) if sampler_name == "optuna_gp"
               else optuna.samplers.TPESampler(seed=inst.seed))
    labels = [f"c{k}" for k in range(choices)]
    values = []

    def objective(trial):
        params = []
        for i, kind in enumerate(inst.kinds):
            if kind == "float":
                params.append(trial.suggest_float(f"x{i}", low, high))
            elif kind == "int":
                params.append(trial.suggest_int(f"x{i}", int(low), int(high)))
            else:
                params.append(trial.suggest_categorical(f"x{i}", labels))
        v = inst.value(inst.point(params))
        values.append(v)
        return v

    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=evaluations)
    return values


def run_skopt(inst, evaluations, low, high, choices):
    from skopt import gp_minimize
    from skopt.space import Categorical, Integer, Real
    dims = []
    for kind in inst.kinds:
        if kind == "float":
            dims.append(Real(low, high))
        elif kind == "int":
            dims.append(Integer(int(low), int(high)))
        else:
            dims.append(Categorical([f"c{k}" for k in range(choices)]))
    values = []

    def objective(x):
        v = inst.value(inst.point(x))
        values.append(v)
        return v

    gp_minimize(objective, dims, n_calls=evaluations, acq_func="EI", random_state=inst.seed)
    return values


def write_fixture(instances, out):
    rng = np.random.default_rng(7)
    points = []
    for inst in instances:
        if inst.seed != 0:
            continue
        for k in range(3):
            x = []
            for i, kind in enumerate(inst.kinds):
                if kind == "float":
                    x.append(float(rng.uniform(-5, 5)))
                elif kind == "int":
                    x.append(float(rng.integers(-5, 6)))
                else:
                    x.append(float(inst.levels[i][int(rng.integers(0, 5))]))
            if k == 0:
                x = [float(v) for v in inst.shift]  # the optimum: value 0
            points.append({"function": inst.function, "seed": inst.seed, "x": x, "value": inst.value(x)})
    with open(out, "w") as f:
        json.dump({"generated_by": "bench/search_suite.py --fixture", "points": points}, f, indent=1)
    print(f"wrote {len(points)} points to {out}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("instances")
    ap.add_argument("--out")
    ap.add_argument("--fixture")
    ap.add_argument("--samplers", default="optuna_gp,optuna_tpe,skopt_gp")
    ap.add_argument("--evaluations", type=int, default=50)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--only")
    a = ap.parse_args()
    with open(a.instances) as f:
        spec = json.load(f)
    instances = [Instance(s) for s in spec["instances"]]
    if a.fixture:
        write_fixture(instances, a.fixture)
        return
    only = set(a.only.split(",")) if a.only else None
    instances = [i for i in instances if i.seed < a.seeds and (only is None or i.function in only)]
    # Seed by seed, so a run cut short still covers every function.
    instances.sort(key=lambda i: i.seed)
    runs = []
    if a.out and os.path.exists(a.out):  # resume: keep finished runs
        with open(a.out) as f:
            runs = json.load(f)["runs"]
    done = {(r["sampler"], r["function"], r["seed"]) for r in runs}
    for s in [s for s in a.samplers.split(",") if s]:
        for inst in instances:
            if (s, inst.function, inst.seed) in done:
                continue
            t0 = time.perf_counter()
            if s == "skopt_gp":
                values = run_skopt(inst, a.evaluations, spec["low"], spec["high"], spec["choices"])
            else:
                values = run_optuna(inst, s, a.evaluations, spec["low"], spec["high"], spec["choices"])
            curve = np.minimum.accumulate(np.asarray(values)).tolist()
            runs.append({"sampler": s, "function": inst.function, "seed": inst.seed, "curve": curve,
                         "seconds": time.perf_counter() - t0})
            print(f"{s} {inst.function} seed {inst.seed}: @{a.evaluations} {curve[-1]:.4g} "
                  f"({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
            if a.out:
                with open(a.out + ".tmp", "w") as f:
                    json.dump({"runs": runs}, f)
                os.replace(a.out + ".tmp", a.out)


if __name__ == "__main__":
    main()

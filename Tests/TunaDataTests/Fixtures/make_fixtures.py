"""Writes the scikit-learn reference values the TunaData and TunaMetrics tests compare against.

Run in a scratch environment (scikit-learn is not a dependency of Tuna):
    python3 -m venv /tmp/sk-venv && /tmp/sk-venv/bin/pip install scikit-learn pandas
    /tmp/sk-venv/bin/python Tests/TunaDataTests/Fixtures/make_fixtures.py
"""
import json
import os

import numpy as np
import sklearn
from sklearn import metrics
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
METRICS = os.path.join(HERE, "..", "..", "TunaMetricsTests", "Fixtures")
rng = np.random.default_rng(20240601)


def dump(name, payload, folder=HERE):
    payload["sklearn_version"] = sklearn.__version__
    with open(os.path.join(folder, name), "w") as f:
        json.dump(payload, f, indent=1, sort_keys=True)
        f.write("\n")


def classification_case(n, k, accuracy_bias):
    y_true = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y_true] += accuracy_bias
    logits[:, k - 1] -= 4.0  # the last class is rarely predicted
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    proba = np.round(proba, 6)
    proba[:, 0] = 1.0 - proba[:, 1:].sum(axis=1)
    y_pred = proba.argmax(axis=1)
    labels = list(range(k))
    out = {
        "y_true": y_true.tolist(),
        "y_pred": y_pred.tolist(),
        "proba": proba.tolist(),
        "accuracy": metrics.accuracy_score(y_true, y_pred),
        "balanced_accuracy": metrics.balanced_accuracy_score(y_true, y_pred),
        "confusion_matrix": metrics.confusion_matrix(y_true, y_pred).tolist(),
        "log_loss": metrics.log_loss(y_true, proba, labels=labels),
        "report": metrics.classification_report(y_true, y_pred, zero_division=0),
        "report_named": metrics.classification_report(
            y_true, y_pred, target_names=[f"class {c}" for c in sorted(set(y_true) | set(y_pred))],
            digits=3, zero_division=0),
    }
    for avg in ("macro", "micro", "weighted"):
        out[f"precision_{avg}"] = metrics.precision_score(y_true, y_pred, average=avg, zero_division=0)
        out[f"recall_{avg}"] = metrics.recall_score(y_true, y_pred, average=avg, zero_division=0)
        out[f"f1_{avg}"] = metrics.f1_score(y_true, y_pred, average=avg, zero_division=0)
    if k == 2:
        out["roc_auc"] = metrics.roc_auc_score(y_true, proba[:, 1])
    else:
        out["roc_auc"] = metrics.roc_auc_score(y_true, proba, multi_class="ovr", average="macro")
    return out


multiclass = classification_case(60, 4, 1.2)
binary = classification_case(50, 2, 0.8)
# Tied scores: ROC-AUC must count ties as one half.
tied_true = [0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0]
tied_scores = [0.1, 0.4, 0.4, 0.4, 0.8, 0.2, 0.9, 0.2, 0.8, 0.5, 0.5, 0.1]
binary["tied_true"] = tied_true
binary["tied_scores"] = tied_scores
binary["tied_roc_auc"] = metrics.roc_auc_score(tied_true, tied_scores)

y = rng.normal(10, 3, 40)
y_hat = y + rng.normal(0, 1.5, 40)
regression = {
    "y_true": y.tolist(), "y_pred": y_hat.tolist(),
    "r2": metrics.r2_score(y, y_hat),
    "mae": metrics.mean_absolute_error(y, y_hat),
    "mse": metrics.mean_squared_error(y, y_hat),
    "rmse": float(np.sqrt(metrics.mean_squared_error(y, y_hat))),
}
dump("metrics.json", {"multiclass": multiclass, "binary": binary, "regression": regression}, METRICS)


def folds(splitter, X, y=None):
    return [{"train": tr.tolist(), "test": te.tolist()} for tr, te in splitter.split(X, y)]


labels = rng.integers(0, 3, 37)
labels[:3] = [2, 0, 1]  # first-appearance order differs from sorted order
X23 = np.zeros((23, 1))
dump("splits.json", {
    "kfold_23_5": folds(KFold(5), X23),
    "stratified_labels": labels.tolist(),
    "stratified_37_4": folds(StratifiedKFold(4), np.zeros((37, 1)), labels),
    "timeseries_20_4_gap1": folds(TimeSeriesSplit(n_splits=4, gap=1), np.zeros((20, 1))),
    "timeseries_20_3_max5": folds(TimeSeriesSplit(n_splits=3, max_train_size=5), np.zeros((20, 1))),
})

train = rng.normal(5, 2, (15, 3))
train[2, 0] = np.nan
train[7, 1] = np.nan
train[:, 2] = np.round(train[:, 2])
test = rng.normal(5, 2, (6, 3))
test[1, 1] = np.nan
test[4, 0] = np.nan


def nan_to_none(a):
    return [[None if np.isnan(v) else float(v) for v in row] for row in a]


prep = {"train": nan_to_none(train), "test": nan_to_none(test)}
for name, model in [("standard", StandardScaler()), ("minmax", MinMaxScaler()), ("robust", RobustScaler())]:
    prep[name] = nan_to_none(model.fit(train).transform(test))
for strategy in ("mean", "median", "most_frequent"):
    prep[f"impute_{strategy}"] = nan_to_none(SimpleImputer(strategy=strategy).fit(train).transform(test))
dump("preprocessing.json", prep)

# NumPy archives: every supported dtype, and the ones Tuna must refuse.
values = np.array([[1, 0, 3], [4, 5, 0]])
np.savez(os.path.join(HERE, "dtypes.npz"),
         f4=values.astype("<f4") + 0.5, f8=values.astype("<f8") / 4, i4=values.astype("<i4") - 2,
         i8=values.astype("<i8") * 1000, u1=values.astype("u1"), b1=values.astype(bool),
         scalar=np.float64(7.25), vector=np.arange(5, dtype="<i8"))
np.savez_compressed(os.path.join(HERE, "compressed.npz"), x=np.arange(12, dtype="<f4").reshape(2, 3, 2),
                    y=np.array([0, 1], dtype="<i8"))
np.savez(os.path.join(HERE, "bad_dtype.npz"), x=np.zeros((2, 2), dtype="<c16"), y=np.zeros(2, dtype="<i8"))
np.savez(os.path.join(HERE, "fortran.npz"), x=np.asfortranarray(np.arange(6, dtype="<f8").reshape(2, 3)))
np.save(os.path.join(HERE, "big_endian.npy"), np.arange(3, dtype=">f4"))

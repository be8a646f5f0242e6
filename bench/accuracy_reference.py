"""PyTorch side of `tuna bench accuracy`: the same architectures, data splits and training
settings as Sources/tuna/Bench/AccuracyWorkloads.swift (keep the two in step), trained with
seeds 0..n-1; prints one JSON object as its last line: workload id -> {accuracies, seconds_per_run}.

    python bench/accuracy_reference.py [--only digits-cnn,gunpoint-lstm] [--seeds 5] [--datasets datasets]
                                       [--init keras|torch]

Needs torch and numpy (a scratch environment, never part of the project). Two threads, as in
../shared/bench.

Initialisation is part of "the same settings": with --init keras (the default) the PyTorch
layers start the way Tuna's (Keras's) do — glorot-uniform kernels and zero biases for Linear
and Conv2d; for LSTM/GRU glorot-uniform over the whole (features, gates x units) input kernel,
an orthogonal (units, gates x units) recurrent kernel, zero biases and the LSTM forget-gate
bias at 1; for multi-head attention glorot-uniform with the fans Keras gives its 3-D kernels
(query/key/value (F, H, D): fan_in = F*H, fan_out = F*D; output (H, V, F): fan_in = H*V,
fan_out = H*F), applied to the matching blocks of PyTorch's in_proj_weight and out_proj, and
zero biases — so the two runs differ only in their random numbers and arithmetic. --init torch
keeps PyTorch's own defaults (uniform(+-1/sqrt(units)) for recurrent weights and biases, Kaiming
uniform for Linear/Conv), the comparison of two frameworks' users who change nothing.
"""
import argparse
import csv
import json
import math
import time

import numpy as np
import torch
import torch.nn as nn


def load_csv(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    target = header.index("target")
    x = np.array([[float(v) for i, v in enumerate(r) if i != target] for r in body], dtype=np.float32)
    labels = [r[target] for r in body]
    classes = sorted(set(labels))
    y = np.array([classes.index(v) for v in labels], dtype=np.int64)
    return x, y


def digits(folder):
    x, y = load_csv(f"{folder}/digits.csv")
    rows = np.arange(len(x))
    test, train = rows[rows % 5 == 0], rows[rows % 5 != 0]
    images = (x / 16).reshape(-1, 1, 8, 8)  # channels first for torch
    return images[train], y[train], images[test], y[test]


def gunpoint(folder):
    xtr, ytr = load_csv(f"{folder}/gunpoint_train.csv")
    xte, yte = load_csv(f"{folder}/gunpoint_test.csv")
    return xtr.reshape(-1, 150, 1), ytr, xte.reshape(-1, 150, 1), yte


def basicmotions(folder):
    d = np.load(f"{folder}/basicmotions.npz")
    return d["x_train"], d["y_train"], d["x_test"], d["y_test"]


class DigitsCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.body(x)


class GunPointRNN(nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.pool = nn.AvgPool1d(3)
        self.rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(1, 32, batch_first=True)
        self.head = nn.Linear(32, 2)

    def forward(self, x):
        x = self.pool(x.transpose(1, 2)).transpose(1, 2)
        out, _ = self.rnn(x)
        return self.head(out[:, -1, :])


class MotionTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.project = nn.Linear(6, 32)
        self.position = nn.Parameter(torch.empty(100, 32))
        nn.init.xavier_uniform_(self.position)
        self.encoder = nn.TransformerEncoderLayer(
            d_model=32, nhead=4, dim_feedforward=64, dropout=0.0, activation="relu",
            layer_norm_eps=1e-5, batch_first=True, norm_first=False)
        self.head = nn.Linear(32, 4)

    def forward(self, x):
        h = self.project(x) + self.position
        return self.head(self.encoder(h).mean(dim=1))


WORKLOADS = {
    "digits-cnn": (digits, DigitsCNN, 20, 32, 1e-3),
    "gunpoint-lstm": (gunpoint, lambda: GunPointRNN("lstm"), 60, 10, 3e-3),
    "gunpoint-gru": (gunpoint, lambda: GunPointRNN("gru"), 60, 10, 3e-3),
    "basicmotions-transformer": (basicmotions, MotionTransformer, 40, 8, 1e-3),
}


def keras_initialisation(model):
    """Keras's default initialisers (see the module docstring)."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, (nn.LSTM, nn.GRU)):
                units = module.hidden_size
                for name, p in module.named_parameters():
                    if name.startswith("weight_ih"):
                        limit = math.sqrt(6 / (p.shape[0] + p.shape[1]))
                        p.uniform_(-limit, limit)
                    elif name.startswith("weight_hh"):
                        q = torch.empty(p.shape[1], p.shape[0])
                        nn.init.orthogonal_(q)
                        p.copy_(q.T)
                    else:
                        p.zero_()
                        if isinstance(module, nn.LSTM) and name.startswith("bias_ih"):
                            p[units:2 * units] = 1
        # After the Linear pass, which would give out_proj a 2-D matrix's fans.
        for module in model.modules():
            if isinstance(module, nn.MultiheadAttention):
                features, heads = module.embed_dim, module.num_heads
                head_dim = features // heads
                projection = math.sqrt(6 / (features * heads + features * head_dim))
                module.in_proj_weight.uniform_(-projection, projection)  # q, k, v blocks alike
                output = math.sqrt(6 / (heads * head_dim + heads * features))
                module.out_proj.weight.uniform_(-output, output)
                module.in_proj_bias.zero_()
                module.out_proj.bias.zero_()


def run(workload, seed, folder, init, epochs_override=None):
    load, make, epochs, batch, lr = WORKLOADS[workload]
    epochs = epochs_override or epochs
    xtr, ytr, xte, yte = load(folder)
    torch.manual_seed(seed)
    model = make()
    if init == "keras":
        keras_initialisation(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-7)  # Keras's epsilon
    loss_fn = nn.CrossEntropyLoss()
    x, y = torch.from_numpy(xtr), torch.from_numpy(ytr)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), batch):
            idx = order[start:start + batch]
            optimizer.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        predicted = model(torch.from_numpy(xte)).argmax(dim=1).numpy()
    return float((predicted == yte).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(WORKLOADS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--datasets", default="datasets")
    parser.add_argument("--init", choices=["keras", "torch"], default="keras")
    parser.add_argument("--epochs", type=int, default=None, help="override every workload's epochs")
    args = parser.parse_args()
    torch.set_num_threads(2)
    result = {}
    for workload in args.only.split(","):
        if workload not in WORKLOADS:
            raise SystemExit(f"unknown workload {workload}; available: {', '.join(WORKLOADS)}")
        start = time.perf_counter()
        accuracies = [run(workload, seed, args.datasets, args.init, args.epochs) for seed in range(args.seeds)]
        seconds = (time.perf_counter() - start) / args.seeds
        mean = sum(accuracies) / len(accuracies)
        print(f"[torch, {args.init} init] {workload}: mean {mean:.4f} over {accuracies} ({seconds:.2f} s/run)", flush=True)
        result[workload] = {"accuracies": accuracies, "seconds_per_run": seconds}
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""Generates sequence_reference.json: LSTM, GRU, LayerNorm and multi-head self-attention values
computed by PyTorch, the independent reference for Tuna's recurrent and attention layers
(SequenceReferenceTests.swift). Besides forward values it stores, for the recurrent layers, the
gradients of sum(output * R) (R random, stored too) with respect to the input and every weight,
from torch.autograd.

Run with any Python that has torch (made with torch 2.x):  python make_sequence_fixtures.py

Layout conversion (Tuna follows Keras: sequences (batch, steps, features), kernels (in, out)):
  * LSTM: PyTorch weight_ih (4U, F), weight_hh (4U, U), gate order i, f, g, o — Keras's order
    i, f, c, o is the same, so  kernel = weight_ih.T,  recurrent_kernel = weight_hh.T,
    bias = bias_ih + bias_hh (Keras has one bias; its gradient is either torch bias's gradient).
  * GRU: PyTorch gates r, z, n; Keras z, r, h. PyTorch's GRU is the reset-after form
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), which is Keras 3's default, so with
    P = [rows of z] + [rows of r] + [rows of n] (i.e. blocks 1, 0, 2 of PyTorch's):
    kernel = weight_ih[P].T, recurrent_kernel = weight_hh[P].T,
    bias = [bias_ih[P], bias_hh[P]]  (Keras's (2, 3U) bias: input bias, then recurrent bias).
  * LayerNorm: torch.nn.functional.layer_norm over the last axis, weight = gamma, bias = beta.
  * Multi-head attention, written out in float64 from its definition (PyTorch's
    scaled_dot_product_attention for the core): Keras kernels query/key (F, H, K),
    value (F, H, V), output (H, V, F) and biases (H, K), (H, K), (H, V), (F);
    Q = x Wq + bq per head, softmax(Q K^T / sqrt(K)) V, heads concatenated, then W_o + b_o.
    The causal case masks keys after the query (PyTorch's is_causal=True).
All arrays are stored flat in row-major order of the Tuna/Keras layout, in float64 rounded to
float32 at the end, so the reference carries no float32 accumulation error.
"""
import json
import os

import torch
import torch.nn.functional as F


def flat(t):
    return [float(v) for v in t.detach().to(torch.float32).reshape(-1).tolist()]


def recurrent_case(kind, name, gen, batch, steps, features, units, return_sequences):
    x = torch.randn(batch, steps, features, generator=gen, dtype=torch.float64, requires_grad=True)
    module = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(features, units, batch_first=True).double()
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64) * 0.4)
    y, _ = module(x)
    if not return_sequences:
        y = y[:, -1, :]
    r = torch.randn(y.shape, generator=gen, dtype=torch.float64)
    (y * r).sum().backward()
    wi, wh, bi, bh = module.weight_ih_l0, module.weight_hh_l0, module.bias_ih_l0, module.bias_hh_l0
    u = units
    if kind == "lstm":
        kernel, recurrent = wi.T, wh.T
        bias, bias_grad = bi + bh, bi.grad
        kernel_grad, recurrent_grad = wi.grad.T, wh.grad.T
    else:
        order = list(range(u, 2 * u)) + list(range(0, u)) + list(range(2 * u, 3 * u))
        kernel, recurrent = wi[order].T, wh[order].T
        bias = torch.stack([bi[order], bh[order]])
        kernel_grad, recurrent_grad = wi.grad[order].T, wh.grad[order].T
        bias_grad = torch.stack([bi.grad[order], bh.grad[order]])
    return {
        "kind": kind, "name": name, "units": units, "return_sequences": return_sequences,
        "input_shape": [batch, steps, features], "input": flat(x),
        "kernel": flat(kernel), "recurrent_kernel": flat(recurrent), "bias": flat(bias),
        "output_shape": list(y.shape), "output": flat(y), "upstream": flat(r),
        "input_gradient": flat(x.grad), "kernel_gradient": flat(kernel_grad),
        "recurrent_kernel_gradient": flat(recurrent_grad), "bias_gradient": flat(bias_grad),
    }


def layer_norm_case(gen, shape, epsilon):
    x = torch.randn(*shape, generator=gen, dtype=torch.float64) * 2 + 0.5
    gamma = torch.randn(shape[-1], generator=gen, dtype=torch.float64)
    beta = torch.randn(shape[-1], generator=gen, dtype=torch.float64)
    y = F.layer_norm(x, (shape[-1],), gamma, beta, epsilon)
    return {"input_shape": list(shape), "input": flat(x), "gamma": flat(gamma), "beta": flat(beta),
            "epsilon": epsilon, "output": flat(y)}


def attention_case(name, gen, batch, steps, features, heads, key_dim, value_dim, causal):
    x = torch.randn(batch, steps, features, generator=gen, dtype=torch.float64)
    wq = torch.randn(features, heads, key_dim, generator=gen, dtype=torch.float64) * 0.5
    wk = torch.randn(features, heads, key_dim, generator=gen, dtype=torch.float64) * 0.5
    wv = torch.randn(features, heads, value_dim, generator=gen, dtype=torch.float64) * 0.5
    wo = torch.randn(heads, value_dim, features, generator=gen, dtype=torch.float64) * 0.5
    bq = torch.randn(heads, key_dim, generator=gen, dtype=torch.float64)
    bk = torch.randn(heads, key_dim, generator=gen, dtype=torch.float64)
    bv = torch.randn(heads, value_dim, generator=gen, dtype=torch.float64)
    bo = torch.randn(features, generator=gen, dtype=torch.float64)
    q = torch.einsum("btf,fhk->bhtk", x, wq) + bq[None, :, None, :]
    k = torch.einsum("btf,fhk->bhtk", x, wk) + bk[None, :, None, :]
    v = torch.einsum("btf,fhv->bhtv", x, wv) + bv[None, :, None, :]
    context = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    y = torch.einsum("bhtv,hvf->btf", context, wo) + bo
    return {
        "name": name, "num_heads": heads, "key_dim": key_dim, "value_dim": value_dim, "causal": causal,
        "input_shape": [batch, steps, features], "input": flat(x),
        "query_kernel": flat(wq), "query_bias": flat(bq), "key_kernel": flat(wk), "key_bias": flat(bk),
        "value_kernel": flat(wv), "value_bias": flat(bv), "output_kernel": flat(wo), "output_bias": flat(bo),
        "output": flat(y),
    }


def main():
    gen = torch.Generator().manual_seed(2026)
    recurrent = []
    for kind in ["lstm", "gru"]:
        recurrent.append(recurrent_case(kind, f"{kind}-last", gen, 3, 7, 5, 6, False))
        recurrent.append(recurrent_case(kind, f"{kind}-sequences", gen, 2, 5, 3, 4, True))
        recurrent.append(recurrent_case(kind, f"{kind}-one-step-one-unit", gen, 2, 1, 1, 1, True))
    result = {
        "recurrent": recurrent,
        "layer_norm": [layer_norm_case(gen, (2, 3, 5), 1e-3), layer_norm_case(gen, (4, 7), 1e-5)],
        "attention": [
            attention_case("two-heads", gen, 2, 5, 6, 2, 3, 4, False),
            attention_case("causal", gen, 2, 4, 4, 2, 2, 2, True),
            attention_case("one-head", gen, 1, 6, 3, 1, 5, 5, False),
        ],
        "torch_version": torch.__version__,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sequence_reference.json")
    with open(path, "w") as f:
        json.dump(result, f, separators=(",", ":"))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

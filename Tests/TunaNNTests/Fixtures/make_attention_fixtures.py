"""Generates attention_reference.json: multi-head self-attention and whole Transformer encoder
blocks computed by PyTorch's own modules (torch.nn.MultiheadAttention and
torch.nn.TransformerEncoderLayer), with torch.autograd's gradients, as the independent reference
for Tuna's MultiHeadAttention and TransformerEncoder (AttentionReferenceTests.swift).
make_sequence_fixtures.py checks attention against the formula written out with einsum; this
script goes through PyTorch's layers and their weight layout, and covers the block around the
attention (residuals, layer norms in both orders, the feed-forward network, GELU and ReLU), plus
Keras's output_shape option (explicit math, which PyTorch's layer does not have).

Run with any Python that has torch (made with torch 2.x):  python make_attention_fixtures.py

Layout (Tuna follows Keras: sequences (batch, steps, features), kernels (in, ..., out)), with
F features, H heads and D = F / H per head, as torch.nn.MultiheadAttention requires:
  * in_proj_weight (3F, F) holds W_q, W_k, W_v (out, in) stacked; a head's outputs are the D
    consecutive rows h*D .. h*D+D-1. Keras's query kernel (F, H, D) is therefore
        query_kernel = W_q.T.reshape(F, H, D),  query_bias = b_q.reshape(H, D)
    and the same for key and value (in_proj_bias split into three F-long parts).
  * out_proj.weight (F, F) reads the heads' outputs concatenated in the same order, so Keras's
    output kernel (H, D, F) is  output_kernel = W_o.T.reshape(H, D, F),  output_bias = b_o.
  * Both scale the scores by 1/sqrt(D) and take the softmax over the keys; causal masks keys
    after the query (attn_mask = the strict upper triangle, PyTorch's is_causal).
  * TransformerEncoderLayer(d_model=F, nhead=H, dim_feedforward=I, dropout=0, batch_first=True):
    Tuna's TransformerEncoder names the same weights
        attention/*             = self_attn as above
        attention_norm/gamma, /beta       = norm1.weight, norm1.bias
        intermediate/kernel, /bias        = linear1.weight.T (F, I), linear1.bias
        output/kernel, /bias              = linear2.weight.T (I, F), linear2.bias
        feedforward_norm/gamma, /beta     = norm2.weight, norm2.bias
    norm_first=False is keras-hub's default post-norm, norm_first=True its normalize_first.
  * Gradients are of sum(output * R) for a stored random R, converted to the same layouts.
All arrays are flat, row-major in the Tuna/Keras layout; computed in float64 and rounded to
float32, so the reference carries no float32 accumulation error.
"""
import json
import os

import torch
import torch.nn as nn


def flat(t):
    return [float(v) for v in t.detach().to(torch.float32).reshape(-1).tolist()]


def randomise(module, gen, scale=0.4):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64) * scale)


def attention_weights(mha, prefix=""):
    """Keras-layout weights (and gradients, if present) of a torch MultiheadAttention."""
    f, h = mha.embed_dim, mha.num_heads
    d = f // h
    out = {}
    for grad in (False, True):
        def get(t):
            return t.grad if grad else t
        w, b = get(mha.in_proj_weight), get(mha.in_proj_bias)
        if w is None:
            continue
        suffix = "@grad" if grad else ""
        for i, name in enumerate(["query", "key", "value"]):
            out[f"{prefix}{name}_kernel{suffix}"] = flat(w[i * f:(i + 1) * f].T.reshape(f, h, d))
            out[f"{prefix}{name}_bias{suffix}"] = flat(b[i * f:(i + 1) * f].reshape(h, d))
        out[f"{prefix}output_kernel{suffix}"] = flat(get(mha.out_proj.weight).T.reshape(h, d, f))
        out[f"{prefix}output_bias{suffix}"] = flat(get(mha.out_proj.bias))
    return out


def causal_mask(steps):
    return torch.triu(torch.ones(steps, steps, dtype=torch.bool), diagonal=1)


def attention_case(name, gen, batch, steps, features, heads, causal):
    mha = nn.MultiheadAttention(features, heads, batch_first=True).double()
    randomise(mha, gen)
    x = torch.randn(batch, steps, features, generator=gen, dtype=torch.float64, requires_grad=True)
    y, _ = mha(x, x, x, need_weights=False, attn_mask=causal_mask(steps) if causal else None)
    r = torch.randn(y.shape, generator=gen, dtype=torch.float64)
    (y * r).sum().backward()
    case = {"name": name, "num_heads": heads, "key_dim": features // heads, "causal": causal,
            "input_shape": [batch, steps, features], "input": flat(x), "output": flat(y), "upstream": flat(r),
            "input_gradient": flat(x.grad)}
    weights = attention_weights(mha)
    case["weights"] = {k: v for k, v in weights.items() if "@" not in k}
    case["gradients"] = {k.split("@")[0]: v for k, v in weights.items() if "@" in k}
    return case


def output_shape_case(name, gen, batch, steps, features, heads, key_dim, value_dim, output_dim):
    """Keras's output_shape: the output projection maps to output_dim instead of features."""
    x = torch.randn(batch, steps, features, generator=gen, dtype=torch.float64)
    w = {
        "query_kernel": torch.randn(features, heads, key_dim, generator=gen, dtype=torch.float64) * 0.5,
        "query_bias": torch.randn(heads, key_dim, generator=gen, dtype=torch.float64),
        "key_kernel": torch.randn(features, heads, key_dim, generator=gen, dtype=torch.float64) * 0.5,
        "key_bias": torch.randn(heads, key_dim, generator=gen, dtype=torch.float64),
        "value_kernel": torch.randn(features, heads, value_dim, generator=gen, dtype=torch.float64) * 0.5,
        "value_bias": torch.randn(heads, value_dim, generator=gen, dtype=torch.float64),
        "output_kernel": torch.randn(heads, value_dim, output_dim, generator=gen, dtype=torch.float64) * 0.5,
        "output_bias": torch.randn(output_dim, generator=gen, dtype=torch.float64),
    }
    q = torch.einsum("btf,fhk->bhtk", x, w["query_kernel"]) + w["query_bias"][None, :, None, :]
    k = torch.einsum("btf,fhk->bhtk", x, w["key_kernel"]) + w["key_bias"][None, :, None, :]
    v = torch.einsum("btf,fhv->bhtv", x, w["value_kernel"]) + w["value_bias"][None, :, None, :]
    scores = torch.einsum("bhik,bhjk->bhij", q, k) / key_dim ** 0.5
    context = torch.einsum("bhij,bhjv->bhiv", torch.softmax(scores, dim=-1), v)
    y = torch.einsum("bhtv,hvo->bto", context, w["output_kernel"]) + w["output_bias"]
    return {"name": name, "num_heads": heads, "key_dim": key_dim, "value_dim": value_dim, "output_shape": output_dim,
            "input_shape": [batch, steps, features], "input": flat(x), "output": flat(y),
            "weights": {key: flat(value) for key, value in w.items()}}


def encoder_case(name, gen, batch, steps, features, heads, intermediate, activation, normalize_first, epsilon):
    layer = nn.TransformerEncoderLayer(
        features, heads, dim_feedforward=intermediate, dropout=0.0, activation=activation,
        layer_norm_eps=epsilon, batch_first=True, norm_first=normalize_first).double()
    randomise(layer, gen)
    with torch.no_grad():  # layer-norm scales around 1, as trained ones are
        layer.norm1.weight.add_(1)
        layer.norm2.weight.add_(1)
    x = torch.randn(batch, steps, features, generator=gen, dtype=torch.float64, requires_grad=True)
    y = layer(x)
    r = torch.randn(y.shape, generator=gen, dtype=torch.float64)
    (y * r).sum().backward()
    weights, gradients = {}, {}
    for key, value in attention_weights(layer.self_attn, "attention/").items():
        (gradients if "@" in key else weights)[key.split("@")[0]] = value
    for prefix, module in [("attention_norm", layer.norm1), ("feedforward_norm", layer.norm2)]:
        weights[f"{prefix}/gamma"], weights[f"{prefix}/beta"] = flat(module.weight), flat(module.bias)
        gradients[f"{prefix}/gamma"], gradients[f"{prefix}/beta"] = flat(module.weight.grad), flat(module.bias.grad)
    for prefix, module in [("intermediate", layer.linear1), ("output", layer.linear2)]:
        weights[f"{prefix}/kernel"], weights[f"{prefix}/bias"] = flat(module.weight.T), flat(module.bias)
        gradients[f"{prefix}/kernel"], gradients[f"{prefix}/bias"] = flat(module.weight.grad.T), flat(module.bias.grad)
    return {"name": name, "num_heads": heads, "intermediate_dim": intermediate, "activation": activation,
            "normalize_first": normalize_first, "layer_norm_epsilon": epsilon,
            "input_shape": [batch, steps, features], "input": flat(x), "output": flat(y), "upstream": flat(r),
            "input_gradient": flat(x.grad), "weights": weights, "gradients": gradients}


def main():
    gen = torch.Generator().manual_seed(606)
    attention = [
        attention_case("mha-2-heads", gen, 2, 5, 8, 2, False),
        attention_case("mha-4-heads-causal", gen, 2, 6, 8, 4, True),
        attention_case("mha-one-step", gen, 3, 1, 4, 1, False),
    ]
    output_shape = [output_shape_case("mha-output-shape", gen, 2, 4, 5, 3, 2, 3, 7)]
    encoders = [
        encoder_case("encoder-post-norm-relu", gen, 2, 5, 8, 2, 12, "relu", False, 1e-5),
        encoder_case("encoder-pre-norm-gelu", gen, 2, 5, 8, 4, 12, "gelu", True, 1e-3),
    ]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "attention_reference.json")
    with open(path, "w") as f:
        json.dump({"attention": attention, "output_shape": output_shape, "encoder": encoders}, f,
                  separators=(",", ":"))
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()

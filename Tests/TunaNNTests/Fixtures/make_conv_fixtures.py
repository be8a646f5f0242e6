"""Generates conv_reference.json: Conv2D and Conv1D forward values computed by PyTorch, the
independent reference for Tuna's im2col + sgemm convolution (ConvolutionTests.swift).

Run with any Python that has torch (made with torch 2.x):  python make_conv_fixtures.py

Layout conversion (Tuna follows Keras: channels last, kernel (kh, kw, in, out)):
  * images:  Tuna/Keras NHWC  ->  PyTorch NCHW   x_torch = x.permute(0, 3, 1, 2)
             and back for the output            y = y_torch.permute(0, 2, 3, 1)
  * kernel:  PyTorch weight (out, in, kh, kw)  ->  Keras (kh, kw, in, out)
             kernel = weight.permute(2, 3, 1, 0)
  * Conv1D:  sequences (N, steps, C) <-> (N, C, steps) by permute(0, 2, 1);
             weight (out, in, k) -> Keras (k, in, out) by permute(2, 1, 0)
  * 'same' padding is Keras's rule, applied with an explicit F.pad so that strides > 1 work
    (PyTorch's padding='same' refuses them): out = ceil(in / stride),
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - in, 0), before = total // 2,
    after = total - before (the extra row/column goes after, as in TensorFlow).
  * One case uses PyTorch's own padding='same' (stride 1, dilation 2) as a cross-check of
    that rule.
All arrays are stored flat in row-major order of the Tuna/Keras layout. Computed in float64 and
rounded to float32, so the reference itself carries no float32 accumulation error.
"""
import json
import math
import os

import torch
import torch.nn.functional as F


def same_pads(size, k, stride, dilation):
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def flat(t):
    return [float(v) for v in t.to(torch.float32).reshape(-1).tolist()]


def conv2d_case(name, gen, n, h, w, c, filters, kernel, strides, padding, dilation, activation, use_bias, torch_same=False):
    x = torch.randn(n, h, w, c, generator=gen, dtype=torch.float64)
    weight = torch.randn(filters, c, kernel[0], kernel[1], generator=gen, dtype=torch.float64) * 0.5
    bias = torch.randn(filters, generator=gen, dtype=torch.float64) if use_bias else None
    xt = x.permute(0, 3, 1, 2)
    if padding == "same" and torch_same:
        assert strides == [1, 1]
        yt = F.conv2d(xt, weight, bias, stride=1, padding="same", dilation=dilation)
    else:
        if padding == "same":
            top, bottom = same_pads(h, kernel[0], strides[0], dilation[0])
            left, right = same_pads(w, kernel[1], strides[1], dilation[1])
            xt = F.pad(xt, (left, right, top, bottom))
        yt = F.conv2d(xt, weight, bias, stride=strides, dilation=dilation)
    if activation == "relu":
        yt = torch.relu(yt)
    y = yt.permute(0, 2, 3, 1)
    return {
        "name": name, "filters": filters, "kernel_size": kernel, "strides": strides, "padding": padding,
        "dilation_rate": dilation, "activation": activation, "use_bias": use_bias,
        "input_shape": list(x.shape), "input": flat(x),
        "kernel": flat(weight.permute(2, 3, 1, 0)), "bias": flat(bias) if use_bias else [],
        "output_shape": list(y.shape), "output": flat(y),
    }


def conv1d_case(name, gen, n, steps, c, filters, k, stride, padding, dilation, activation):
    x = torch.randn(n, steps, c, generator=gen, dtype=torch.float64)
    weight = torch.randn(filters, c, k, generator=gen, dtype=torch.float64) * 0.5
    bias = torch.randn(filters, generator=gen, dtype=torch.float64)
    xt = x.permute(0, 2, 1)
    if padding == "same":
        xt = F.pad(xt, same_pads(steps, k, stride, dilation))
    elif padding == "causal":
        xt = F.pad(xt, ((k - 1) * dilation, 0))
    yt = F.conv1d(xt, weight, bias, stride=stride, dilation=dilation)
    if activation == "relu":
        yt = torch.relu(yt)
    y = yt.permute(0, 2, 1)
    return {
        "name": name, "filters": filters, "kernel_size": k, "strides": stride, "padding": padding,
        "dilation_rate": dilation, "activation": activation, "use_bias": True,
        "input_shape": list(x.shape), "input": flat(x),
        "kernel": flat(weight.permute(2, 1, 0)), "bias": flat(bias),
        "output_shape": list(y.shape), "output": flat(y),
    }


def main():
    gen = torch.Generator().manual_seed(20261123)
    conv2d = [
        conv2d_case("valid 3x3 relu", gen, 2, 5, 6, 3, 4, [3, 3], [1, 1], "valid", [1, 1], "relu", True),
        conv2d_case("same stride 2, 3x2 kernel, odd sizes", gen, 2, 7, 5, 2, 3, [3, 2], [2, 2], "same", [1, 1], "linear", True),
        conv2d_case("same stride 2x1, 4x4 kernel (uneven padding)", gen, 1, 6, 7, 3, 2, [4, 4], [2, 1], "same", [1, 1], "linear", True),
        conv2d_case("dilation 2, torch same", gen, 2, 7, 8, 2, 3, [3, 2], [1, 1], "same", [2, 2], "linear", True, torch_same=True),
        conv2d_case("valid stride 2, dilation 2, no bias", gen, 1, 9, 8, 2, 5, [2, 3], [2, 2], "valid", [2, 2], "linear", False),
    ]
    conv1d = [
        conv1d_case("valid k3", gen, 2, 9, 3, 4, 3, 1, "valid", 1, "relu"),
        conv1d_case("same stride 2, k4", gen, 2, 9, 2, 3, 4, 2, "same", 1, "linear"),
        conv1d_case("causal dilation 2", gen, 1, 8, 2, 2, 3, 1, "causal", 2, "linear"),
    ]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conv_reference.json")
    with open(path, "w") as f:
        json.dump({"generator": f"PyTorch {torch.__version__}, make_conv_fixtures.py", "conv2d": conv2d, "conv1d": conv1d}, f)
    print("wrote", path)


if __name__ == "__main__":
    main()

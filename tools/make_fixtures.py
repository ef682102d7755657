#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures that `Tests/TorchNNTests/ReferenceTests.swift` compares the engine to.

Each fixture is a small safetensors file under Tests/TorchNNTests/Fixtures/pytorch/: the inputs, the parameters,
the outputs, the gradient fed back, the input gradient and the parameter gradients of one layer or criterion,
computed by PyTorch in float64 from float32 inputs (so the reference carries no float32 rounding of its own) and
stored as float32. The metadata holds the layer's settings as JSON under "config".

The whole vgg_small is checked too: its parameters follow a formula both sides compute (see `formula_value`), so
only a sample of them is stored; the fixture holds the first forward and backward and three nesterov SGD steps in
training mode with Dropout switched to evaluation (its mask is then the identity).

Run by hand where torch is installed (../shared/peer/README.md says how); it needs torch, numpy and safetensors:

    python3 tools/make_fixtures.py                        # rewrites every fixture
    python3 tools/make_fixtures.py spatial_transformer    # only that group (the names of GROUPS)
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "TorchNNTests", "Fixtures", "pytorch")
rng = np.random.default_rng(20261130)


def f32(shape, scale=1.0):
    """Random float32 values, returned as a float64 tensor holding exactly those values."""
    return torch.from_numpy((rng.standard_normal(shape) * scale).astype(np.float32).astype(np.float64))


def save(name, config, **tensors):
    arrays = {k: np.ascontiguousarray(v.detach().numpy().astype(np.float32)) for k, v in tensors.items()}
    path = os.path.join(OUT, name + ".safetensors")
    metadata = {"config": json.dumps(config, sort_keys=True), "producer": "tools/make_fixtures.py",
                "torch": torch.__version__}
    save_file(arrays, path, metadata=metadata)
    print(f"{path}: {sum(a.size for a in arrays.values())} values")


def layer_fixture(name, config, module, x, params=None):
    """Forward, then backward of a random gradOutput, through `module` in float64."""
    module = module.double()
    x = x.clone().requires_grad_(True)
    y = module(x)
    g = f32(tuple(y.shape))
    y.backward(g)
    extra = {}
    for pname, p in (params or {}).items():
        extra[pname] = p.detach().clone()
        extra["grad_" + pname] = p.grad
    save(name, config, input=x.detach(), output=y.detach(), grad_output=g, grad_input=x.grad, **extra)


def convolutions():
    cases = [
        # name, in, out, kW, kH, dW, dH, padW, padH, N, H, W
        ("conv_1plane_5x3_s1_p0", 1, 4, 5, 3, 1, 1, 0, 0, 2, 9, 11),
        ("conv_3planes_3x3_s2_p1", 3, 5, 3, 3, 2, 2, 1, 1, 2, 10, 9),
        ("conv_3planes_3x5_s1_p2", 3, 4, 3, 5, 1, 1, 2, 2, 2, 7, 8),
        ("conv_3planes_4x2_s2x1_p1x0", 3, 6, 4, 2, 2, 1, 1, 0, 3, 8, 9),
        ("conv_8planes_3x3_s1_p1", 8, 16, 3, 3, 1, 1, 1, 1, 2, 10, 10),
        ("conv_16planes_3x3_s1_p0", 16, 8, 3, 3, 1, 1, 0, 0, 2, 9, 12),
        ("conv_8planes_3x3_s1_p2", 8, 12, 3, 3, 1, 1, 2, 2, 1, 6, 7),
    ]
    for name, cin, cout, kw, kh, dw, dh, pw, ph, n, h, w in cases:
        conv = nn.Conv2d(cin, cout, (kh, kw), stride=(dh, dw), padding=(ph, pw)).double()
        with torch.no_grad():
            conv.weight.copy_(f32(tuple(conv.weight.shape), 0.3))
            conv.bias.copy_(f32((cout,), 0.3))
        config = dict(nInputPlane=cin, nOutputPlane=cout, kW=kw, kH=kh, dW=dw, dH=dh, padW=pw, padH=ph)
        layer_fixture(name, config, conv, f32((n, cin, h, w)), {"weight": conv.weight, "bias": conv.bias})


def linear():
    lin = nn.Linear(7, 5).double()
    with torch.no_grad():
        lin.weight.copy_(f32((5, 7), 0.4))
        lin.bias.copy_(f32((5,), 0.4))
    layer_fixture("linear_7_5", dict(inputSize=7, outputSize=5), lin, f32((4, 7)),
                  {"weight": lin.weight, "bias": lin.bias})


def batch_norms():
    for name, shape, eps in [("batchnorm2d", (4, 3, 5, 5), 1e-5), ("batchnorm1d", (6, 5), 1e-3)]:
        c = shape[1]
        for mode in ["train", "eval"]:
            bn = (nn.BatchNorm2d(c, eps=eps) if len(shape) == 4 else nn.BatchNorm1d(c, eps=eps)).double()
            with torch.no_grad():
                bn.weight.copy_(1 + f32((c,), 0.2))
                bn.bias.copy_(f32((c,), 0.2))
                if mode == "eval":
                    bn.running_mean.copy_(f32((c,), 0.5))
                    bn.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 2.0, c).astype(np.float32)).double())
            running = dict(running_mean_before=bn.running_mean.clone(), running_var_before=bn.running_var.clone())
            bn.train(mode == "train")
            x = f32(shape, 1.5) + 0.7
            x.requires_grad_(True)
            y = bn(x)
            g = f32(tuple(y.shape))
            y.backward(g)
            save(f"{name}_{mode}", dict(nOutput=c, eps=eps, momentum=0.1, training=mode == "train"),
                 input=x.detach(), output=y.detach(), grad_output=g, grad_input=x.grad,
                 weight=bn.weight.detach(), bias=bn.bias.detach(), grad_weight=bn.weight.grad, grad_bias=bn.bias.grad,
                 running_mean_after=bn.running_mean, running_var_after=bn.running_var, **running)


def poolings():
    cases = [
        ("maxpool_3x3_s2_p1", 3, 3, 2, 2, 1, 1, (2, 3, 7, 8)),
        ("maxpool_2x2_s2", 2, 2, 2, 2, 0, 0, (2, 4, 6, 10)),
        ("maxpool_3x2_s1x2_p1x0", 3, 2, 1, 2, 1, 0, (1, 2, 6, 7)),
    ]
    for name, kw, kh, dw, dh, pw, ph, shape in cases:
        pool = nn.MaxPool2d((kh, kw), stride=(dh, dw), padding=(ph, pw))
        layer_fixture(name, dict(kW=kw, kH=kh, dW=dw, dH=dh, padW=pw, padH=ph), pool, f32(shape))


def activations():
    for name, module in [("relu", nn.ReLU()), ("sigmoid", nn.Sigmoid()), ("tanh", nn.Tanh()),
                         ("softmax", nn.Softmax(dim=1)), ("logsoftmax", nn.LogSoftmax(dim=1))]:
        layer_fixture(name, {}, module, f32((3, 7), 2.0))


def criterions():
    classes, n = 7, 5
    target = torch.from_numpy(rng.integers(0, classes, n)).long()
    weights = torch.from_numpy(rng.uniform(0.2, 2.0, classes).astype(np.float32)).double()
    logits = f32((n, classes), 2.0)
    for name, w in [("classnll", None), ("classnll_weighted", weights)]:
        x = F.log_softmax(logits, dim=1).float().double().requires_grad_(True)
        loss = F.nll_loss(x, target, weight=w)
        loss.backward()
        extra = {"weights": w} if w is not None else {}
        save(name, dict(sizeAverage=True), input=x.detach(), target=target.double(), output=loss.detach().reshape(1),
             grad_input=x.grad, **extra)
    x = logits.clone().requires_grad_(True)
    loss = F.cross_entropy(x, target)
    loss.backward()
    save("crossentropy", dict(sizeAverage=True), input=x.detach(), target=target.double(),
         output=loss.detach().reshape(1), grad_input=x.grad)
    x = f32((4, 6)).requires_grad_(True)
    t = f32((4, 6))
    loss = F.mse_loss(x, t)
    loss.backward()
    save("mse", dict(sizeAverage=True), input=x.detach(), target=t, output=loss.detach().reshape(1), grad_input=x.grad)


def vgg_small(classes=43):
    def cbr(cin, cout):
        return [nn.Conv2d(cin, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.ReLU()]
    features = nn.Sequential(*cbr(3, 32), *cbr(32, 32), nn.MaxPool2d(2, 2),
                             *cbr(32, 64), *cbr(64, 64), nn.MaxPool2d(2, 2),
                             *cbr(64, 128), *cbr(128, 128), nn.MaxPool2d(2, 2))
    classifier = nn.Sequential(nn.Flatten(), nn.Linear(4608, 512), nn.ReLU(), nn.BatchNorm1d(512, eps=1e-3),
                               nn.Dropout(0.5), nn.Linear(512, classes), nn.LogSoftmax(dim=1))
    model = nn.Sequential()
    model.add_module("features", features)
    model.add_module("classifier", classifier)
    return model


def formula_value(name, j, count, first_dim):
    """Parameter j of tensor `name` (`count` values, first dimension `first_dim`); the Swift test computes the same."""
    k = sum(name.encode()) % 97
    s = math.sin(0.7 * j + k)
    if name.endswith("weight") and count > first_dim:
        return s / math.sqrt(count / first_dim)
    if name.endswith("weight"):
        return 1 + 0.1 * s
    return 0.1 * s


SAMPLE_STRIDE = 101


def vgg_fixture():
    model = vgg_small().double()
    params = [(n, p) for n, p in model.named_parameters()]
    with torch.no_grad():
        for name, p in params:
            values = [formula_value(name, j, p.numel(), p.shape[0]) for j in range(p.numel())]
            p.copy_(torch.tensor(np.array(values, dtype=np.float32).astype(np.float64)).reshape(p.shape))
    model.train()
    model.classifier[4].eval()  # Dropout: identity
    x = f32((4, 3, 48, 48))
    target = torch.tensor([3, 17, 42, 0])
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, dampening=0)
    tensors = {"input": x, "target": target.double()}
    losses = []
    for step in range(3):
        opt.zero_grad()
        xi = x.clone().requires_grad_(step == 0)
        out = model(xi)
        loss = F.nll_loss(out, target)
        loss.backward()
        losses.append(loss.item())
        if step == 0:
            tensors["output"] = out.detach()
            tensors["grad_input"] = xi.grad
            for name, p in params:
                tensors["grad_sample." + name] = p.grad.flatten()[::SAMPLE_STRIDE]
                tensors["grad_norm." + name] = p.grad.norm().reshape(1)
        opt.step()
    tensors["losses"] = torch.tensor(losses, dtype=torch.float64)
    for name, p in params:
        tensors["param_sample." + name] = p.detach().flatten()[::SAMPLE_STRIDE]
    for name, b in model.named_buffers():
        if b.dtype == torch.float64:
            tensors["buffer." + name] = b
    save("vgg_small_3_sgd_steps", dict(lr=0.01, momentum=0.9, nesterov=True, steps=3, sampleStride=SAMPLE_STRIDE),
         **tensors)


def spatial_transformer():
    """affine_grid + grid_sample (bilinear, zeros padding, align_corners=False) from stnbhwd-style parameters
    (angle, scale, tx, ty), with points inside, at and past the image's border; its own random stream."""
    global rng
    rng = np.random.default_rng(20261201)
    n, c, h, w, oh, ow = 3, 2, 5, 6, 4, 7
    params = f32((n, 4), 0.3)
    params[:, 1] += 1.0
    params[2, 1] = 1.6  # zoomed out: a third of the points fall past the border
    params = params.clone().requires_grad_(True)
    a, s, tx, ty = params[:, 0], params[:, 1], params[:, 2], params[:, 3]
    cos, sin = torch.cos(a), torch.sin(a)
    theta = torch.stack([torch.stack([s * cos, -s * sin, s * (tx * cos - ty * sin)], 1),
                         torch.stack([s * sin, s * cos, s * (tx * sin + ty * cos)], 1)], 1)
    theta.retain_grad()
    grid = F.affine_grid(theta, (n, c, oh, ow), align_corners=False)
    grid.retain_grad()
    image = f32((n, c, h, w)).requires_grad_(True)
    out = F.grid_sample(image, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    g = f32(tuple(out.shape))
    out.backward(g)
    save("spatial_transformer", dict(height=oh, width=ow, align_corners=False, padding_mode="zeros"),
         params=params.detach(), theta=theta.detach(), grid=grid.detach(), image=image.detach(), output=out.detach(),
         grad_output=g, grad_image=image.grad, grad_grid=grid.grad, grad_theta=theta.grad, grad_params=params.grad)


def average_poolings():
    """AvgPool2d (no padding, floor mode) at a global window, 2x2/s2 and an overlapping 3x2/s(1,2); its own random
    stream."""
    global rng
    rng = np.random.default_rng(20261202)
    cases = [
        ("avgpool_6x6_global", 6, 6, 6, 6, (2, 3, 6, 6)),
        ("avgpool_2x2_s2", 2, 2, 2, 2, (2, 2, 5, 6)),
        ("avgpool_3x2_s1x2", 3, 2, 1, 2, (1, 3, 5, 7)),
    ]
    for name, kw, kh, dw, dh, shape in cases:
        pool = nn.AvgPool2d((kh, kw), stride=(dh, dw))
        layer_fixture(name, dict(kW=kw, kH=kh, dW=dw, dH=dh), pool, f32(shape))


def label_smoothing():
    """PyTorch's cross_entropy(label_smoothing=0.1), plain and with class weights (CrossEntropyCriterion's ε)."""
    classes, n = 7, 5
    target = torch.from_numpy(rng.integers(0, classes, n)).long()
    weights = torch.from_numpy(rng.uniform(0.2, 2.0, classes).astype(np.float32)).double()
    for name, w in [("crossentropy_smoothed", None), ("crossentropy_smoothed_weighted", weights)]:
        x = f32((n, classes), 2.0).requires_grad_(True)
        loss = F.cross_entropy(x, target, weight=w, label_smoothing=0.1)
        loss.backward()
        extra = {"weights": w} if w is not None else {}
        save(name, dict(sizeAverage=True, labelSmoothing=0.1), input=x.detach(), target=target.double(),
             output=loss.detach().reshape(1), grad_input=x.grad, **extra)


GROUPS = [convolutions, linear, batch_norms, poolings, activations, criterions, vgg_fixture, spatial_transformer,
          average_poolings, label_smoothing]


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    chosen = sys.argv[1:] or [group.__name__ for group in GROUPS]
    for group in GROUPS:
        if group.__name__ in chosen:
            group()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"{len(os.listdir(OUT))} fixtures, {total / 1e6:.2f} MB")
    if total > 2_000_000:
        sys.exit("fixtures exceed 2 MB")


if __name__ == "__main__":
    main()

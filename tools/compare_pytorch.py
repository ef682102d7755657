#!/usr/bin/env python3
"""Checks our exported vgg_small against its PyTorch twin.

Builds the PyTorch twin of vgg_small, loads our export with load_state_dict (strict), runs it on the
inputs our `gtsrb-dist eval --dump` wrote, and compares its log-probabilities with ours:
max abs difference <= 1e-4 and identical predicted classes. Needs torch and safetensors (optional
dependencies); without them it says so and exits 0.

    gtsrb-dist export --checkpoint C --out model.safetensors
    gtsrb-dist eval --checkpoint C --data DIR --dump dump.safetensors
    python3 tools/compare_pytorch.py model.safetensors dump.safetensors
"""
import sys

try:
    import torch
    import torch.nn as nn
    from safetensors.torch import load_file
except ImportError as e:  # optional dependencies
    print(f"compare_pytorch: skipped ({e})")
    sys.exit(0)


class VGGSmall(nn.Module):
    """The seed's models/vgg_small.lua in PyTorch (3x48x48 -> 43 log-probabilities)."""

    def __init__(self, classes=43):
        super().__init__()
        def cbr(cin, cout):
            return [nn.Conv2d(cin, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.ReLU()]
        self.features = nn.Sequential(*cbr(3, 32), *cbr(32, 32), nn.MaxPool2d(2, 2),
                                      *cbr(32, 64), *cbr(64, 64), nn.MaxPool2d(2, 2),
                                      *cbr(64, 128), *cbr(128, 128), nn.MaxPool2d(2, 2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(4608, 512), nn.ReLU(), nn.BatchNorm1d(512, eps=1e-3),
                                        nn.Dropout(0.5), nn.Linear(512, classes), nn.LogSoftmax(dim=1))

    def forward(self, x):
        return self.classifier(self.features(x))


def main(weights, dump):
    model = VGGSmall()
    model.load_state_dict(load_file(weights), strict=True)
    model.eval()
    d = load_file(dump)
    with torch.no_grad():
        ours, theirs = d["log_probs"], model(d["inputs"])
    diff = (ours - theirs).abs().max().item()
    same = bool((ours.argmax(1) == theirs.argmax(1)).all())
    print(f"compare_pytorch: {d['inputs'].shape[0]} images, max |log-prob difference| {diff:.2e}, identical classes: {same}")
    return 0 if diff <= 1e-4 and same else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))

#!/usr/bin/env python3
"""Checks our exported model against its PyTorch twin.

Builds the PyTorch twin (tools/torch_models.py) of the model the export's metadata names (vgg_small,
vgg_small_dropout, vgg_small_stn, vgg_small_stn2 or resnet14), loads our export with load_state_dict (strict), runs it
on the inputs our `gtsrb-dist eval --dump` wrote, and compares its log-probabilities with ours:
max abs difference <= 1e-4 and identical predicted classes. Needs torch and safetensors (optional
dependencies); without them it says so and exits 0.

    gtsrb-dist export --checkpoint C --out model.safetensors
    gtsrb-dist eval --checkpoint C --data DIR --dump dump.safetensors
    python3 tools/compare_pytorch.py model.safetensors dump.safetensors
"""
import sys

try:
    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file
    from torch_models import build
except ImportError as e:  # optional dependencies
    print(f"compare_pytorch: skipped ({e})")
    sys.exit(0)


def twin(weights):
    with safe_open(weights, "pt") as f:
        name = (f.metadata() or {}).get("model", "vgg_small")
    try:
        return name, build(name)
    except KeyError as e:
        sys.exit(f"compare_pytorch: {e.args[0]}")


def main(weights, dump):
    name, model = twin(weights)
    model.load_state_dict(load_file(weights), strict=True)
    model.eval()
    d = load_file(dump)
    with torch.no_grad():
        ours, theirs = d["log_probs"], model(d["inputs"])
    diff = (ours - theirs).abs().max().item()
    same = bool((ours.argmax(1) == theirs.argmax(1)).all())
    print(f"compare_pytorch: {name}, {d['inputs'].shape[0]} images, max |log-prob difference| {diff:.2e}, "
          f"identical classes: {same}")
    return 0 if diff <= 1e-4 and same else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))

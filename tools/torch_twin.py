#!/usr/bin/env python3
"""The PyTorch twin of a `gtsrb-dist train` run: the same model (tools/torch_models.py), data, validation split,
augmentation, batch, optimizer and learning-rate schedule, in plain torch, so that real training epochs and
time to accuracy can be compared side by side (bench/epoch_vs_pytorch.sh, bench/time_to_accuracy.sh).

    python3 tools/torch_twin.py --data DIR --validation RUN/validation.csv [--model vgg_small] [--epochs 6]
        [--lr-schedule cosine] [--no-mirror] [--crop roi|whole] [--batch-size 32] [--threads N] [--metrics FILE]
        [--max-steps K]

What is the same as ours: the GTSRB training images of DIR (official PPM layout; with --crop roi, the default, each
image's annotated region scaled from the CSV's size to the file's, as ours), the validation images
our run wrote to its validation.csv (held-out tracks), normalisation by the training pixels' per-channel mean and
standard deviation, the `affine` augmentation (rotation +-10 degrees, scale 0.9-1.1, translation +-10 %, bicubic
with clamped edges, then ColorJitter 0.4 in a random order per image), unless --no-mirror our sign-aware mirroring (half
of the images of a class with a mirror image are flipped and take that class), 48x48 inputs, NLL loss on
log-probabilities (with --label-smoothing, PyTorch's label_smoothing, as our --label-smoothing), SGD (momentum 0.9,
Nesterov, --weight-decay as ours) and ours' cosine or step learning rate, set every step.
What is PyTorch's own: its default initialisation, its bicubic kernel (a = -0.75; ours -0.5), the images resized
(smaller side 48, centre kept) once at load and augmented from there for a whole batch at once (affine_grid +
grid_sample, the way a PyTorch user augments without torchvision; ours samples each image once from its source), one
process with `--threads` intra-op threads (its best setting on few cores) and channels_last.

Prints one line per epoch and appends our metrics.jsonl's keys (epoch, epoch_s, elapsed_s, img_s, train_loss,
train_acc, val_acc, val_loss) to --metrics; elapsed_s counts from the start of this process. Ends with
`RESULT {json}` (epochs' figures, peak_rss_mb). --max-steps stops the first epoch early (for timing).
"""
import time

STARTED = time.monotonic()

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from torch_models import MODELS, build  # noqa: E402

SIZE = 48


def read_ppm(path):
    """A binary PPM (P6, maxval 255) as an HxWx3 uint8 array."""
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6" or int(fields[3]) != 255:
        sys.exit(f"torch_twin: {path}: not a binary 8-bit PPM")
    w, h = int(fields[1]), int(fields[2])
    return np.frombuffer(data, np.uint8, w * h * 3, pos + 1).reshape(h, w, 3)


def regions(folder):
    """Each file's annotated region of a class folder's GT-NNNNN.csv: (width, height, x1, y1, x2, y2)."""
    csv = [name for name in os.listdir(folder) if name.startswith("GT-") and name.endswith(".csv")]
    if not csv:
        sys.exit(f"torch_twin: {folder}: no GT-*.csv (needed by --crop roi)")
    rows = {}
    with open(os.path.join(folder, csv[0])) as f:
        for line in f.read().splitlines()[1:]:
            cells = line.split(";")
            if len(cells) >= 7:
                rows[cells[0]] = tuple(int(c) for c in cells[1:7])
    return rows


def roi(img, region):
    """The annotated region of an HxWx3 image, its coordinates scaled from the CSV's size to the file's, as ours."""
    w, h, x1, y1, x2, y2 = region
    sx, sy = img.shape[1] / w, img.shape[0] / h
    a = min(max(0, math.floor(x1 * sx)), img.shape[1] - 1)
    b = min(max(0, math.floor(y1 * sy)), img.shape[0] - 1)
    c = max(a + 1, min(img.shape[1], math.ceil((x2 + 1) * sx)))
    d = max(b + 1, min(img.shape[0], math.ceil((y2 + 1) * sy)))
    return img[b:d, a:c]


def resized(img):
    """An HxWx3 uint8 image as a 3x48x48 float tensor: the smaller side scaled to 48 (bicubic), the centre kept."""
    x = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).float()[None]
    h, w = x.shape[2:]
    k = SIZE / min(h, w)
    x = F.interpolate(x, size=(max(SIZE, round(h * k)), max(SIZE, round(w * k))), mode="bicubic", align_corners=False)
    top, left = (x.shape[2] - SIZE) // 2, (x.shape[3] - SIZE) // 2
    return x[0, :, top:top + SIZE, left:left + SIZE]


def load_training_set(data_dir, cache_dir, crop):
    """Every training image (`crop` roi: its annotated region; whole: all of it) at 48x48, with class and
    'class;track;filename' keys; cached as one .npz in cache_dir."""
    root = os.path.join(data_dir, "Final_Training", "Images")
    if not os.path.isdir(root):
        sys.exit(f"torch_twin: --data {data_dir}: no Final_Training/Images folder (official PPM layout)")
    cache = os.path.join(cache_dir, f"torch-twin-train-{crop}.npz") if cache_dir else None
    if cache and os.path.exists(cache):
        z = np.load(cache)
        return torch.from_numpy(z["images"]), torch.from_numpy(z["labels"]), list(z["keys"])
    images, labels, keys = [], [], []
    for cls in sorted(os.listdir(root)):
        folder = os.path.join(root, cls)
        if not os.path.isdir(folder):
            continue
        rows = regions(folder) if crop == "roi" else {}
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".ppm"):
                continue
            img = read_ppm(os.path.join(folder, name))
            if crop == "roi":
                if name not in rows:
                    sys.exit(f"torch_twin: {folder}: {name} has no row in the GT csv (needed by --crop roi)")
                img = roi(img, rows[name])
            images.append(resized(img).clamp(0, 255).round().to(torch.uint8))
            labels.append(int(cls))
            track = int(name.split("_")[0]) if "_" in name else -1
            keys.append(f"{int(cls)};{track};{name}")
    images, labels = torch.stack(images), torch.tensor(labels)
    if cache:
        os.makedirs(cache_dir, exist_ok=True)
        np.savez(cache + ".tmp.npz", images=images.numpy(), labels=labels.numpy(), keys=np.array(keys))
        os.replace(cache + ".tmp.npz", cache)
    return images, labels, keys


def split(keys, validation_csv):
    """Training and validation indices: the validation images are the rows of our run's validation.csv."""
    if not validation_csv:
        return list(range(len(keys))), []
    with open(validation_csv) as f:
        header = f.readline().strip()
        if header != "ClassId;Track;Filename":
            sys.exit(f"torch_twin: --validation {validation_csv}: not a gtsrb-dist validation.csv")
        held = {line.strip() for line in f if line.strip()}
    val = [i for i, k in enumerate(keys) if k in held]
    if len(val) != len(held):
        sys.exit(f"torch_twin: --validation {validation_csv}: {len(held) - len(val)} images not found under --data")
    heldset = set(val)
    return [i for i in range(len(keys)) if i not in heldset], val


def channel_statistics(images, indices):
    """Per-channel mean and standard deviation of the [0, 1] pixels of images[indices], as 1x3x1x1 tensors,
    accumulated in float64 over chunks (no float copy of the whole set)."""
    total, squares, count = torch.zeros(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64), 0
    for s in range(0, len(indices), 2048):
        x = images[torch.tensor(indices[s:s + 2048])].double() / 255
        total += x.sum((0, 2, 3))
        squares += (x * x).sum((0, 2, 3))
        count += x.numel() // 3
    mean = total / count
    std = (squares / count - mean * mean).sqrt()
    return mean.float().view(1, 3, 1, 1), std.float().view(1, 3, 1, 1)


def affine(batch, gen):
    """Random rotation, scale and translation of each image of an Nx3x48x48 float batch, bicubic, edges clamped."""
    n = batch.shape[0]
    theta = (torch.rand(n, generator=gen) * 20 - 10) * math.pi / 180
    k = torch.rand(n, generator=gen) * 0.2 + 0.9
    t = (torch.rand(n, 2, generator=gen) * 0.2 - 0.1) * 2  # +-10 % of the side, in [-1, 1] coordinates
    cos, sin = torch.cos(theta) / k, torch.sin(theta) / k
    a = torch.stack([torch.stack([cos, sin], 1), torch.stack([-sin, cos], 1)], 1)  # output -> source, N x 2 x 2
    matrix = torch.cat([a, -(a @ t[:, :, None])], 2)
    grid = F.affine_grid(matrix, list(batch.shape), align_corners=False)
    return F.grid_sample(batch, grid, mode="bicubic", padding_mode="border", align_corners=False).clamp_(0, 1)


def color_jitter(x, gen):
    """Brightness, contrast and saturation, each factor 1 +- U(0.4), in a random order per image."""
    n = x.shape[0]
    alphas = 1 + (torch.rand(3, n, generator=gen) * 0.8 - 0.4)
    order = torch.argsort(torch.rand(n, 3, generator=gen), 1)
    weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    for position in range(3):
        for step in range(3):
            alpha = torch.where(order[:, position] == step, alphas[step], torch.ones(n)).view(n, 1, 1, 1)
            if step == 0:
                x = x * alpha
            elif step == 1:
                grey = (x * weights).sum(1, keepdim=True).mean((2, 3), keepdim=True)
                x = x * alpha + grey * (1 - alpha)
            else:
                grey = (x * weights).sum(1, keepdim=True)
                x = x * alpha + grey * (1 - alpha)
    return x


# SignMirror.swift's table: the class of each class's mirror image, or -1.
MIRROR = torch.full((43,), -1, dtype=torch.long)
MIRROR[[11, 12, 13, 15, 17, 18, 22, 26, 30, 35]] = torch.tensor([11, 12, 13, 15, 17, 18, 22, 26, 30, 35])
MIRROR[[19, 20, 33, 34, 36, 37, 38, 39]] = torch.tensor([20, 19, 34, 33, 37, 36, 39, 38])


def mirror(x, y, gen):
    """Mirrors left-right half of the images whose class has a mirror image, giving them that class."""
    target = MIRROR[y]
    flip = (target >= 0) & (torch.rand(len(y), generator=gen) < 0.5)
    return torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x), torch.where(flip, target, y)


def learning_rate(args, epoch, progress):
    if args.lr_schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (epoch + progress) / max(1, args.epochs)))) * args.lr
    return args.lr * args.lr_gamma ** (epoch // max(1, args.lr_step))


def normalise(x, mean, std, memory):
    """[0, 1] pixels -> the network's input: per-channel standardised, in `memory` format."""
    return ((x - mean) / std).contiguous(memory_format=memory)


def evaluate(model, images, labels, indices, mean, std, memory):
    model.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for s in range(0, len(indices), 256):
            idx = torch.tensor(indices[s:s + 256])
            x = normalise(images[idx].float() / 255, mean, std, memory)
            out = model(x)
            loss += F.nll_loss(out, labels[idx], reduction="sum").item()
            correct += (out.argmax(1) == labels[idx]).sum().item()
    return 100 * correct / max(1, len(indices)), loss / max(1, len(indices))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="GTSRB folder holding Final_Training/Images")
    p.add_argument("--validation", help="validation.csv of our run (the held-out images); none: train on all")
    p.add_argument("--model", default="vgg_small", choices=sorted(MODELS))
    p.add_argument("--epochs", type=int, default=12, help="default: our default recipe's")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--lr-schedule", default="cosine", choices=["step", "cosine"])
    p.add_argument("--lr-step", type=int, default=20)
    p.add_argument("--lr-gamma", type=float, default=0.1)
    p.add_argument("--augment", default="affine", choices=["affine", "none"])
    p.add_argument("--weight-decay", type=float, default=0.0, help="our --weight-decay")
    p.add_argument("--label-smoothing", type=float, default=0.0, help="our --label-smoothing")
    p.add_argument("--mirror", action=argparse.BooleanOptionalAction, default=True,
                   help="sign-aware left-right mirroring (our --mirror; default: on, as our default recipe)")
    p.add_argument("--crop", default="roi", choices=["roi", "whole"], help="our --crop (default: our recipe's)")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--no-channels-last", action="store_true")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--cache-dir", help="folder for the decoded training images (one .npz)")
    p.add_argument("--metrics", help="JSON lines, one per epoch (our metrics.jsonl's keys)")
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: whole epochs)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    memory = torch.contiguous_format if args.no_channels_last else torch.channels_last

    images, labels, keys = load_training_set(args.data, args.cache_dir, args.crop)
    train, val = split(keys, args.validation)
    mean, std = channel_statistics(images, train)
    model = build(args.model).to(memory_format=memory)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True,
                                weight_decay=args.weight_decay)
    steps = math.ceil(len(train) / args.batch_size)
    print(f"torch_twin: torch {torch.__version__}, {args.threads} threads, {args.model}, "
          f"{len(train)} training, {len(val)} validation images, {steps} steps per epoch", flush=True)
    metrics = open(args.metrics or os.devnull, "a")
    epochs, step = [], 0
    for epoch in range(args.epochs):
        model.train()
        began = time.monotonic()
        order = torch.tensor(train)[torch.randperm(len(train), generator=gen)]
        loss_sum, correct, seen, batches = 0.0, 0, 0, 0
        for b in range(steps):
            if args.max_steps and step >= args.max_steps:
                break
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(args, epoch, b / steps)
            idx = order[b * args.batch_size:(b + 1) * args.batch_size]
            x = images[idx].float() / 255
            if args.augment == "affine":
                x = color_jitter(affine(x, gen), gen)
            y = labels[idx]
            if args.mirror:
                x, y = mirror(x, y, gen)
            x = normalise(x, mean, std, memory)
            out = model(x)
            # cross_entropy's log_softmax leaves log-probabilities as they are; it adds PyTorch's label smoothing.
            loss = F.cross_entropy(out, y, label_smoothing=args.label_smoothing)
            optimizer.zero_grad(set_to_none=False)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(idx)
            correct += (out.argmax(1) == y).sum().item()
            seen += len(idx)
            batches += 1
            step += 1
        epoch_s = time.monotonic() - began
        val_acc, val_loss = evaluate(model, images, labels, val, mean, std, memory) if val else (None, None)
        row = {"epoch": epoch + 1, "epoch_s": epoch_s, "elapsed_s": time.monotonic() - STARTED,
               "img_s": seen / epoch_s, "steps": batches,
               "train_loss": loss_sum / max(1, seen), "train_acc": 100 * correct / max(1, seen),
               "val_acc": val_acc, "val_loss": val_loss}
        epochs.append(row)
        shown = f"  val acc {val_acc:.2f}%" if val else ""
        print(f"epoch {epoch + 1}/{args.epochs}  train loss {row['train_loss']:.4f} acc {row['train_acc']:.2f}%"
              f"{shown}  {row['img_s']:.0f} img/s  {epoch_s:.1f}s  {row['elapsed_s']:.0f}s elapsed", flush=True)
        metrics.write(json.dumps(row) + "\n")
        metrics.flush()
        if args.max_steps and step >= args.max_steps:
            break
    metrics.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps({"epochs": epochs, "peak_rss_mb": rss, "threads": args.threads,
                                  "model": args.model, "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()

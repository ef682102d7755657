#!/usr/bin/env python3
"""Ours against the PyTorch twin (tools/torch_twin.py) in real training, one program after the other on the same
machine, data and validation split; behind bench/epoch_vs_pytorch.sh and bench/time_to_accuracy.sh.

    bench/vs_pytorch.py epoch    --data DIR [--model M] [--ranks N] [--rounds R] [--out FILE]
    bench/vs_pytorch.py accuracy --data DIR [--model M] [--ranks N] [--epochs E] [--no-mirror] [--crop C] [--out FILE]

`epoch`: one real training epoch of each (cosine lr, `affine` augmentation, the held-out tracks out), twice: with
OpenBLAS as this machine sets it, and with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that command only (a
stock install; skipped when neither is set, since it is then the same run). Prints each program's training time of
the epoch (evaluation and start-up excluded), img/s, the peak RSS of its largest process, and ours/PyTorch.
`accuracy`: a whole cosine run of each; prints the wall time from start to the end of the first epoch whose
validation accuracy reaches 98.0 / 99.0 / 99.3 / 99.5 %, and ours/PyTorch.
Every figure also goes, as one JSON line per program and setting, to --out.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PINS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
THRESHOLDS = (98.0, 99.0, 99.3, 99.5)


def run(command, env, log):
    """Runs `command`, its output to `log`; returns (exit status, wall seconds, peak RSS in MB of its largest
    process). Each command runs in a fresh child Python, so RUSAGE_CHILDREN holds that command's tree alone."""
    probe = ("import resource, subprocess, sys, time; t = time.monotonic(); "
             "rc = subprocess.call(sys.argv[1:], stdout=sys.stderr); "
             "print(rc, time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")
    with open(log, "w") as out:
        result = subprocess.run([sys.executable, "-c", probe, *command], stdout=subprocess.PIPE, stderr=out,
                                env=env, text=True)
    rc, wall, rss = result.stdout.split()
    return int(rc), float(wall), float(rss)


def input_flags(args):
    """The mirroring, crop, weight-decay and label-smoothing flags both programs take."""
    return ["--mirror" if args.mirror else "--no-mirror", "--crop", args.crop, "--weight-decay", str(args.weight_decay),
            "--label-smoothing", str(args.label_smoothing)]


def ours(args, setting, env, folder, epochs, log):
    save = os.path.join(folder, f"ours-{setting}")
    shutil.rmtree(save, ignore_errors=True)
    command = [os.path.join(ROOT, "launch", "local.sh"), str(args.ranks), "train", "--model", args.model,
               "--epochs", str(epochs), "--lr-schedule", "cosine", "--seed", str(args.seed), "--data", args.data,
               "--save", save, "--keep-checkpoints", "1"] + input_flags(args)
    if args.cache_dir:
        command += ["--cache-dir", args.cache_dir]
    env = dict(env, GTSRB_PROGRESS="lines")
    rc, wall, rss = run(command, env, log)
    if rc != 0:
        sys.exit(f"vs_pytorch: ours failed (exit {rc}); see {log}")
    with open(os.path.join(save, "metrics.jsonl")) as f:
        rows = [json.loads(line) for line in f if '"epoch_s"' in line]
    return save, wall, rss, rows


def twin(args, env, validation, epochs, folder, setting, log):
    metrics = os.path.join(folder, f"twin-{setting}.jsonl")
    if os.path.exists(metrics):
        os.remove(metrics)
    command = [args.python, os.path.join(ROOT, "tools", "torch_twin.py"), "--data", args.data, "--validation",
               validation, "--model", args.model, "--epochs", str(epochs), "--lr-schedule", "cosine",
               "--seed", str(args.seed), "--threads", str(args.threads), "--metrics", metrics,
               "--cache-dir", args.cache_dir or folder] + input_flags(args)
    rc, wall, rss = run(command, env, log)
    if rc != 0:
        sys.exit(f"vs_pytorch: the PyTorch twin failed (exit {rc}); see {log}")
    with open(metrics) as f:
        rows = [json.loads(line) for line in f]
    return wall, rss, rows


def settings():
    """(name, environment) pairs: as the machine has OpenBLAS, then stock (both variables unset) when it differs."""
    machine = dict(os.environ)
    pinned = {k: machine[k] for k in PINS if k in machine}
    described = ", ".join(f"{k}={v}" for k, v in pinned.items()) or "neither variable set"
    result = [("machine", machine, described)]
    if pinned:
        result.append(("stock", {k: v for k, v in machine.items() if k not in PINS}, "both variables unset"))
    else:
        print("OpenBLAS: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are not set here: the machine's setting is the "
              "stock one, run once", flush=True)
    return result


def first_reaching(rows, threshold):
    return next((r["elapsed_s"] for r in rows if r.get("val_acc") is not None and r["val_acc"] >= threshold), None)


def seconds(value):
    return f"{value:.0f}s" if value is not None else "never"


def epoch_mode(args, folder, out):
    table = []
    for name, env, described in settings():
        for r in range(args.rounds):
            print(f"[{name}, round {r + 1}/{args.rounds}] ours: {args.ranks} ranks, 1 epoch ...", flush=True)
            save, wall, rss, rows = ours(args, name, env, folder, 1, os.path.join(folder, f"ours-{name}.log"))
            print(f"[{name}, round {r + 1}/{args.rounds}] PyTorch twin: 1 process x {args.threads} threads ...",
                  flush=True)
            twall, trss, trows = twin(args, env, os.path.join(save, "validation.csv"), 1, folder, name,
                                      os.path.join(folder, f"twin-{name}.log"))
            o, t = rows[0], trows[0]
            row = {"setting": name, "openblas": described, "round": r + 1, "model": args.model,
                   "ours_epoch_s": o["epoch_s"], "ours_img_s": o["img_s"], "ours_peak_rss_mb": rss,
                   "ours_wall_s": wall, "ours_val_acc": o.get("val_acc"), "torch_epoch_s": t["epoch_s"],
                   "torch_img_s": t["img_s"], "torch_peak_rss_mb": trss, "torch_wall_s": twall,
                   "torch_val_acc": t.get("val_acc"), "ranks": args.ranks, "torch_threads": args.threads,
                   "ratio": o["epoch_s"] / t["epoch_s"]}
            out.write(json.dumps(row) + "\n")
            out.flush()
            table.append(row)
    print(f"\n{'OpenBLAS':44} {'ours epoch':>10} {'PyTorch':>8} {'ratio':>6} {'ours img/s':>10} {'PyTorch':>8} "
          f"{'ours RSS':>9} {'PyTorch':>8}")
    for row in table:
        print(f"{row['setting'] + ': ' + row['openblas']:44} {row['ours_epoch_s']:9.0f}s {row['torch_epoch_s']:7.0f}s "
              f"{row['ratio']:6.2f} {row['ours_img_s']:10.0f} {row['torch_img_s']:8.0f} "
              f"{row['ours_peak_rss_mb']:8.0f}M {row['torch_peak_rss_mb']:7.0f}M")
    print("epoch = training time of one epoch (no evaluation, no start-up); ratio = ours / PyTorch (below 1: ours "
          "faster); RSS = peak resident set of the largest process (one of our ranks; the twin's one process)")


def accuracy_mode(args, folder, out):
    name, env, described = settings()[0]
    print(f"ours: {args.ranks} ranks, {args.epochs} epochs ...", flush=True)
    save, wall, rss, rows = ours(args, name, env, folder, args.epochs, os.path.join(folder, "ours.log"))
    print(f"PyTorch twin: 1 process x {args.threads} threads, {args.epochs} epochs ...", flush=True)
    twall, trss, trows = twin(args, env, os.path.join(save, "validation.csv"), args.epochs, folder, name,
                              os.path.join(folder, "twin.log"))
    for who, r, w in (("ours", rows, wall), ("torch", trows, twall)):
        out.write(json.dumps({"program": who, "model": args.model, "epochs": args.epochs, "openblas": described,
                              "wall_s": w, "curve": [[x["epoch"], x["elapsed_s"], x.get("val_acc")] for x in r]})
                  + "\n")
    print(f"\n{'validation accuracy':20} {'ours':>9} {'PyTorch':>9} {'ratio':>6}")
    for threshold in THRESHOLDS:
        a, b = first_reaching(rows, threshold), first_reaching(trows, threshold)
        ratio = f"{a / b:6.2f}" if a and b else "     -"
        print(f"{threshold:>19.1f}% {seconds(a):>9} {seconds(b):>9} {ratio}")
    best = max((x["val_acc"] for x in rows), default=float("nan"))
    tbest = max((x["val_acc"] for x in trows), default=float("nan"))
    print(f"{'best':>20} {best:8.2f}% {tbest:8.2f}%")
    print(f"{'whole run':>20} {wall:8.0f}s {twall:8.0f}s {wall / twall:6.2f}")
    print(f"seconds from start to the end of the first epoch that reached it; OpenBLAS: {described}; "
          f"{args.model}, cosine, {args.epochs} epochs, ours at {args.ranks} ranks, PyTorch 1 process x "
          f"{args.threads} threads")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=["epoch", "accuracy"])
    p.add_argument("--data", required=True, help="GTSRB folder (official PPM layout)")
    p.add_argument("--model", default="vgg_small")
    p.add_argument("--ranks", type=int, default=os.cpu_count(), help="our ranks (default: one per core)")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="PyTorch's threads (default: the cores)")
    p.add_argument("--rounds", type=int, default=1, help="epoch mode: rounds of ours then PyTorch per setting")
    p.add_argument("--epochs", type=int, default=6, help="accuracy mode: epochs of each run")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--mirror", action=argparse.BooleanOptionalAction, default=True,
                   help="both programs mirror signs (train --mirror; default: on, as our default recipe)")
    p.add_argument("--crop", default="roi", choices=["roi", "whole"], help="both programs' crop (train --crop)")
    p.add_argument("--weight-decay", type=float, default=0.0, help="both programs' (train --weight-decay)")
    p.add_argument("--label-smoothing", type=float, default=0.0, help="both programs' (train --label-smoothing)")
    p.add_argument("--cache-dir", help="decoded-image caches of both programs")
    p.add_argument("--python", default=os.environ.get("PY", "python3"), help="a Python with torch (PY)")
    p.add_argument("--out", help="append the figures as JSON lines here")
    p.add_argument("--keep", help="keep the runs' folders and logs here (default: a temporary folder)")
    args = p.parse_args()
    if subprocess.run([args.python, "-c", "import torch"], capture_output=True).returncode != 0:
        sys.exit(f"vs_pytorch: {args.python} cannot import torch (install: python3 -m venv /tmp/peer-venv && "
                 "/tmp/peer-venv/bin/pip install torch==2.13.0 numpy; then PY=/tmp/peer-venv/bin/python)")
    folder = args.keep or tempfile.mkdtemp(prefix="vs-pytorch-")
    os.makedirs(folder, exist_ok=True)
    print(f"vs_pytorch: {args.mode}, runs and logs in {folder}, started {time.strftime('%H:%M:%S')}", flush=True)
    with open(args.out or os.devnull, "a") as out:
        (epoch_mode if args.mode == "epoch" else accuracy_mode)(args, folder, out)
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Predicts data-parallel training throughput on 2-64 hosts at 1/10/100 Gb/s from `gtsrb-dist bench` RESULT lines.

    bench/scaling_model.py [FILE ...] [--hosts 2,4,8,16,32,64] [--rates 1,10,100] [--host-img-s X]
                           [--latency-us A] [--efficiency E]

FILE holds RESULT lines or their JSON (bench/shaped_links.sh writes them with the link's rate as "link":
"unlimited", "10gbit", "1gbit"); standard input when none is given. A host is one rank of the measured runs
(its per-rank batch stays fixed, so the global batch grows with the hosts); --host-img-s replaces the measured
compute rate of a host with X images/s.

The model, per step and per host, for a gradient of S bytes in B buckets on N hosts at R bit/s:
    compute   = step_ms x (1 - transfer share), measured on the fastest link
    ring      = 2 (N-1)/N x S x 8 / (R x e)  +  B x 2 (N-1) x a
    exposed   = max(floor, ring - f x window)
    img/s     = N x per-host batch / (compute + exposed)
e: the share of a shaped link's rate the allreduce achieves (measured: allreduce_alone_ms on the slowest shaped
link; --efficiency replaces it);
a: the latency of one ring step (half a one-value allreduce between 2 hosts, measured; --latency-us replaces it);
window: backward compute with buckets in flight (overlap_window_ms); f: the share of the window that did hide
transfer on the slowest measured link; floor: the exposed transfer on the fastest link (16-bit conversion,
progress calls).
"""
import argparse
import json
import statistics
import sys


def read_rows(files):
    rows = []
    for f in files or ["-"]:
        lines = sys.stdin if f == "-" else open(f)
        for line in lines:
            line = line.strip()
            if line.startswith("RESULT "):
                line = line[len("RESULT "):]
            if line.startswith("{"):
                rows.append(json.loads(line))
    return rows


def link_bits_per_s(link):
    """'1gbit' -> 1e9; 'unlimited' or unknown -> None."""
    units = {"kbit": 1e3, "mbit": 1e6, "gbit": 1e9}
    for unit, scale in units.items():
        if link.endswith(unit):
            return float(link[: -len(unit)]) * scale
    return None


def median(rows, key):
    return statistics.median(r[key] for r in rows)


class Model:
    """The fitted model of one --allreduce-dtype's runs."""

    def __init__(self, rows, host_img_s, latency_us, efficiency):
        by_link = {}
        for r in rows:
            by_link.setdefault(r.get("link", "unknown"), []).append(r)
        self.by_link = by_link
        self.fastest = min(by_link, key=lambda link: median(by_link[link], "allreduce_alone_ms"))
        self.slowest = max(by_link, key=lambda link: median(by_link[link], "allreduce_alone_ms"))
        fastest = by_link[self.fastest]
        slowest = by_link[self.slowest]
        self.ranks = rows[0]["ranks"]
        self.shard = rows[0]["batch"] / self.ranks
        self.gradient_mb = rows[0]["gradient_mb"]
        self.buckets = median(rows, "buckets_per_step") or 1
        self.compute_ms = statistics.median(
            r["step_ms"] * (1 - r["allreduce_transfer_share"]) for r in fastest)
        if host_img_s:
            self.compute_ms = 1000 * self.shard / host_img_s
        self.window_ms = median(rows, "overlap_window_ms")
        self.floor_ms = statistics.median(r["step_ms"] * r["allreduce_transfer_share"] for r in fastest)
        # One ring step's latency: a one-value allreduce between the measured hosts takes 2 (N-1) of them.
        measured_latency = median(fastest, "link_latency_us") / (2 * (self.ranks - 1))
        self.alpha_ms = (latency_us if latency_us is not None else measured_latency) / 1000
        # e: achieved share of the shaper's rate on the slowest link (where the shaper is the limit).
        self.efficiency = 1.0
        if link_bits_per_s(self.slowest):
            wire = self.ring_bytes(self.ranks) * 8
            seconds = median(slowest, "allreduce_alone_ms") / 1000
            self.efficiency = wire / seconds / link_bits_per_s(self.slowest)
        if efficiency:
            self.efficiency = efficiency
        exposed = statistics.median(r["step_ms"] * r["allreduce_transfer_share"] for r in slowest)
        hidden = max(0.0, median(slowest, "allreduce_alone_ms") - exposed)
        self.hidden_share = min(1.0, hidden / self.window_ms) if self.window_ms > 0 else 0.0

    def ring_bytes(self, hosts):
        """Bytes each host sends in a ring allreduce of the gradient."""
        return 2 * (hosts - 1) / hosts * self.gradient_mb * 1e6

    def ring_ms(self, hosts, bits_per_s):
        bandwidth = self.ring_bytes(hosts) * 8 / (bits_per_s * self.efficiency) * 1000
        return bandwidth + self.latency_ms(hosts)

    def latency_ms(self, hosts):
        return self.buckets * 2 * (hosts - 1) * self.alpha_ms

    def exposed_ms(self, transfer_ms):
        return max(self.floor_ms, transfer_ms - self.hidden_share * self.window_ms)

    def img_s(self, hosts, transfer_ms):
        return hosts * self.shard * 1000 / (self.compute_ms + self.exposed_ms(transfer_ms))


def check(model, dtype):
    """The model at each measured link's rate against those runs. The fastest and the slowest link's runs gave
    the model's parameters (fit); the links between them check it."""
    print(f"\nThe model against the measured runs ({dtype}, {model.ranks} hosts; medians):")
    print("| link | role | measured img/s | model img/s | error | measured allreduce alone ms | ring model ms |")
    print("|---|---|---|---|---|---|---|")
    for link, rs in model.by_link.items():
        measured = median(rs, "train_img_s")
        alone = median(rs, "allreduce_alone_ms")
        rate = link_bits_per_s(link)
        ring = model.ring_ms(model.ranks, rate) if rate else alone
        predicted = model.img_s(model.ranks, ring)
        role = "fit" if link in (model.fastest, model.slowest) else "check"
        error = 100 * (predicted / measured - 1)
        print(f"| {link} | {role} | {measured:.0f} | {predicted:.0f} | {error:+.0f} % | {alone:.1f} | {ring:.1f} |")


def predict(model, dtype, hosts, rates):
    print(f"\nPredicted training img/s ({dtype}; per-host batch {model.shard:g}, global batch = hosts x that):")
    print("| hosts | " + " | ".join(f"{r:g} Gb/s" for r in rates) + " | no communication |")
    print("|---|" + "---|" * (len(rates) + 1))
    for n in hosts:
        cells = []
        for r in rates:
            img_s = model.img_s(n, model.ring_ms(n, r * 1e9))
            ideal = n * model.shard * 1000 / model.compute_ms
            cells.append(f"{img_s:.0f} ({100 * img_s / ideal:.0f} %)")
        print(f"| {n} | " + " | ".join(cells) + f" | {n * model.shard * 1000 / model.compute_ms:.0f} |")
    print("\nWhat limits each regime (at the largest host count):")
    n = hosts[-1]
    hide = model.hidden_share * model.window_ms
    for r in rates:
        ring = model.ring_ms(n, r * 1e9)
        latency = model.latency_ms(n)
        bandwidth = ring - latency
        beyond = max(0.0, ring - hide)
        moved = model.ring_bytes(n) / 1e6
        parts = (f"the ring allreduce takes {ring:.1f} ms ({bandwidth:.1f} ms moving {moved:.1f} MB, "
                 f"{latency:.1f} ms of latency: {model.buckets:g} buckets x 2({n}-1) steps x "
                 f"{1000 * model.alpha_ms:.0f} us)")
        if beyond <= 0.05 * model.compute_ms:
            share = model.img_s(n, ring) / (n * model.shard * 1000 / model.compute_ms)
            limit = (f"compute: {parts}, and the {hide:.0f} ms of backward that overlaps it hides all but "
                     f"{beyond:.1f} ms, so throughput grows with the hosts at {100 * share:.0f} % of compute alone "
                     f"(what is lost is the {model.floor_ms:.0f} ms per step that never overlaps)")
        elif latency > bandwidth:
            limit = f"latency: {parts}; fewer, larger buckets (--bucket-mb) cut it"
        else:
            limit = (f"bandwidth: {parts}, of which backward hides {hide:.0f} ms; the other {beyond:.0f} ms add to "
                     f"{model.compute_ms:.0f} ms of compute per step. 16-bit gradients halve the bytes")
        print(f"- {r:g} Gb/s: {limit}.")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("files", nargs="*")
    p.add_argument("--hosts", default="2,4,8,16,32,64")
    p.add_argument("--rates", default="1,10,100", help="link rates in Gb/s")
    p.add_argument("--host-img-s", type=float, help="compute rate of one host, images/s (default: measured)")
    p.add_argument("--latency-us", type=float, help="latency of one ring step in us (default: measured)")
    p.add_argument("--efficiency", type=float,
                   help="share of the link rate the allreduce achieves, 0-1 (default: measured on the slowest link)")
    a = p.parse_args()
    rows = [r for r in read_rows(a.files) if r.get("ranks", 1) > 1 and "allreduce_alone_ms" in r]
    if not rows:
        sys.exit("error: no multi-rank RESULT lines with allreduce_alone_ms (run bench/shaped_links.sh)")
    hosts = [int(h) for h in a.hosts.split(",")]
    rates = [float(r) for r in a.rates.split(",")]
    for dtype in dict.fromkeys(r["allreduce_dtype"] for r in rows):
        model = Model([r for r in rows if r["allreduce_dtype"] == dtype], a.host_img_s, a.latency_us, a.efficiency)
        print(f"## {dtype}: gradient {model.gradient_mb:.1f} MB in {model.buckets:g} buckets; compute "
              f"{model.compute_ms:.0f} ms per step of {model.shard:g} images; backward window {model.window_ms:.0f} ms"
              f", of which {100 * model.hidden_share:.0f} % hid transfer; exposed floor {model.floor_ms:.1f} ms; "
              f"link efficiency {100 * model.efficiency:.0f} %; ring-step latency {1000 * model.alpha_ms:.0f} us")
        check(model, dtype)
        predict(model, dtype, hosts, rates)
        print()


if __name__ == "__main__":
    main()

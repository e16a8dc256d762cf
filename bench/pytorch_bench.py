"""PyTorch side of tumorseg's benchmarks: the same networks, shapes and
thread count as the Go benchmarks, timed in NCHW eager mode and in
channels_last. Prints one JSON object per case on stdout.

Usage: python3 bench/pytorch_bench.py [--quick] [--threads 2]
"""
import argparse, json, resource, statistics, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F


def cbr(i, o):
    return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]


class UNet(nn.Module):
    """tumorseg's UNet: two conv3x3+BN+ReLU per level, max pool down,
    2x2 transposed conv up, concat(up, skip), 1x1 head."""

    def __init__(self, base=16, depth=4):
        super().__init__()
        self.enc = nn.ModuleList()
        c = 1
        for i in range(depth):
            self.enc.append(nn.Sequential(*cbr(c, base << i), *cbr(base << i, base << i)))
            c = base << i
        self.bottleneck = nn.Sequential(*cbr(c, base << depth), *cbr(base << depth, base << depth))
        c = base << depth
        self.ups, self.dec = nn.ModuleList(), nn.ModuleList()
        for i in reversed(range(depth)):
            o = base << i
            self.ups.append(nn.ConvTranspose2d(c, o, 2, 2))
            self.dec.append(nn.Sequential(*cbr(2 * o, o), *cbr(o, o)))
            c = o
        self.head = nn.Conv2d(c, 1, 1)

    def forward(self, x):
        skips = []
        for e in self.enc:
            x = e(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottleneck(x)
        for up, dec, s in zip(self.ups, self.dec, reversed(skips)):
            x = dec(torch.cat([up(x), s], 1))
        return self.head(x)


def dice_loss(logits, target):
    p = torch.sigmoid(logits)
    inter = (p * target).sum()
    return 1 - (2 * inter + 1) / (p.sum() + target.sum() + 1)


def median_ms(fn, reps, warmup):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1e3)
    return statistics.median(ts)


def bench(name, model, batch, size, train, reps, warmup, channels_last):
    x = torch.rand(batch, 1, size, size)
    y = (torch.rand(batch, 1, size, size) > 0.8).float()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.to(memory_format=torch.channels_last)
        y = y.to(memory_format=torch.channels_last)
    if train:
        model.train()
        opt = torch.optim.Adam(model.parameters(), 1e-3)

        def step():
            opt.zero_grad(set_to_none=True)
            dice_loss(model(x), y).backward()
            opt.step()
    else:
        model.eval()

        def step():
            with torch.no_grad():
                model(x)
    ms = median_ms(step, reps, warmup)
    layout = "channels_last" if channels_last else "nchw"
    return {"case": name, "layout": layout, "pytorch_ms": ms,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--case", default="")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    reps, warmup = (3, 1) if args.quick else (7, 2)
    cases = [
        ("unet16_train_4x128", lambda: UNet(16, 4), 4, 128, True),
        ("unet16_train_4x256", lambda: UNet(16, 4), 4, 256, True),
        ("unet16_forward_1x512", lambda: UNet(16, 4), 1, 512, False),
    ]
    if not args.quick:
        cases += [("unet64_train_4x128", lambda: UNet(64, 4), 4, 128, True),
                  ("unet64_forward_1x512", lambda: UNet(64, 4), 1, 512, False)]
    for name, make, batch, size, train in cases:
        if args.case and args.case != name:
            continue
        for cl in (False, True):
            r = bench(name, make(), batch, size, train, reps, warmup, cl)
            print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()

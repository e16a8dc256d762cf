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


class Bottleneck(nn.Module):
    """ResNeXt 32x4d bottleneck block, torchvision's layout."""

    def __init__(self, cin, planes, stride):
        super().__init__()
        width, out = planes * 4 // 64 * 32, planes * 4
        self.body = nn.Sequential(
            nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, stride, 1, groups=32, bias=False), nn.BatchNorm2d(width),
            nn.ReLU(inplace=True), nn.Conv2d(width, out, 1, bias=False), nn.BatchNorm2d(out))
        self.down = None
        if stride != 1 or cin != out:
            self.down = nn.Sequential(nn.Conv2d(cin, out, 1, stride, bias=False),
                                      nn.BatchNorm2d(out))

    def forward(self, x):
        s = x if self.down is None else self.down(x)
        return F.relu(self.body(x) + s)


class ResNeXtUNet(nn.Module):
    """ResNeXt50 32x4d encoder with segmentation_models_pytorch's UNet decoder."""

    def __init__(self, base=16):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64),
                                  nn.ReLU(inplace=True))
        stages, cin = [], 64
        for i, (blocks, planes) in enumerate([(3, 64), (4, 128), (6, 256), (3, 512)]):
            layers = []
            for b in range(blocks):
                layers.append(Bottleneck(cin, planes, 2 if b == 0 and i > 0 else 1))
                cin = planes * 4
            stages.append(nn.Sequential(*layers))
        self.stages = nn.ModuleList(stages)
        ins, skips = [2048, 16 * base, 8 * base, 4 * base, 2 * base], [1024, 512, 256, 64, 0]
        outs = [16 * base, 8 * base, 4 * base, 2 * base, base]
        self.dec = nn.ModuleList(nn.Sequential(*cbr(i + s, o), *cbr(o, o))
                                 for i, s, o in zip(ins, skips, outs))
        self.head = nn.Conv2d(base, 1, 3, padding=1)

    def forward(self, x):
        x = self.stem(x)
        feats = [x]
        x = F.max_pool2d(x, 3, 2, 1)
        for st in self.stages:
            x = st(x)
            feats.append(x)
        x = feats[4]
        for i, d in enumerate(self.dec):
            x = F.interpolate(x, scale_factor=2, mode="nearest")
            if i < 4:
                x = torch.cat([x, feats[3 - i]], 1)
            x = d(x)
        return self.head(x)


class SE(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.f1, self.f2 = nn.Linear(c, max(1, c // 8), bias=False), nn.Linear(max(1, c // 8), c, bias=False)

    def forward(self, x):
        s = torch.sigmoid(self.f2(F.relu(self.f1(x.mean((2, 3))))))
        return x * s[:, :, None, None]


def c3(i, o, s=1, d=1):
    return nn.Conv2d(i, o, 3, s, d, dilation=d)


class Res(nn.Module):
    def __init__(self, i, o, s, stem=False):
        super().__init__()
        if stem:
            self.body = nn.Sequential(c3(i, o), nn.BatchNorm2d(o), nn.ReLU(inplace=True), c3(o, o))
        else:
            self.body = nn.Sequential(nn.BatchNorm2d(i), nn.ReLU(), c3(i, o, s), nn.BatchNorm2d(o),
                                      nn.ReLU(inplace=True), c3(o, o))
        self.short = nn.Sequential(nn.Conv2d(i, o, 1, s), nn.BatchNorm2d(o))
        self.se = SE(o)

    def forward(self, x):
        return self.se(self.body(x) + self.short(x))


class ASPP(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.b = nn.ModuleList(nn.Sequential(c3(i, o, 1, d), nn.BatchNorm2d(o)) for d in (6, 12, 18, 1))
        self.mix = nn.Conv2d(o, o, 1)

    def forward(self, x):
        return self.mix(sum(b(x) for b in self.b))


class Att(nn.Module):
    def __init__(self, ce, c):
        super().__init__()
        self.e = nn.Sequential(nn.BatchNorm2d(ce), nn.ReLU(), c3(ce, c), nn.MaxPool2d(2))
        self.d = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), c3(c, c))
        self.g = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), c3(c, c))

    def forward(self, enc, d):
        return self.g(self.e(enc) + self.d(d)) * d


class ResUNetPP(nn.Module):
    """ResUNet++ as the authors' Keras code lays it out, widths 16..256."""

    def __init__(self, f=(16, 32, 64, 128, 256)):
        super().__init__()
        self.enc = nn.ModuleList([Res(1, f[0], 1, True), Res(f[0], f[1], 2), Res(f[1], f[2], 2),
                                  Res(f[2], f[3], 2)])
        self.bridge = ASPP(f[3], f[4])
        self.att = nn.ModuleList([Att(f[2], f[4]), Att(f[1], f[3]), Att(f[0], f[2])])
        self.dec = nn.ModuleList([Res(f[4] + f[2], f[3], 1), Res(f[3] + f[1], f[2], 1),
                                  Res(f[2] + f[0], f[1], 1)])
        self.out = ASPP(f[1], f[0])
        self.head = nn.Conv2d(f[0], 1, 1)

    def forward(self, x):
        cs = []
        for e in self.enc:
            x = e(x)
            cs.append(x)
        x = self.bridge(x)
        for k, (a, d) in enumerate(zip(self.att, self.dec)):
            skip = cs[2 - k]
            x = a(skip, x)
            x = torch.cat([F.interpolate(x, scale_factor=2, mode="nearest"), skip], 1)
            x = d(x)
        return self.head(self.out(x))


class Conv(nn.Module):
    def __init__(self, cin, cout, groups=1):
        super().__init__()
        self.c = nn.Conv2d(cin, cout, 3, padding=1, groups=groups, bias=False)
        self.cin = cin

    def forward(self, x):
        return self.c(x)


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
    cin = getattr(model, "cin", 1)
    x = torch.rand(batch, cin, size, size)
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
        ("unet64_train_4x128", lambda: UNet(64, 4), 4, 128, True),
        ("unet64_forward_1x512", lambda: UNet(64, 4), 1, 512, False),
        ("resnext50unet_train_4x128", lambda: ResNeXtUNet(), 4, 128, True),
        ("resnext50unet_forward_1x512", lambda: ResNeXtUNet(), 1, 512, False),
        ("resunetpp_train_4x128", lambda: ResUNetPP(), 4, 128, True),
        ("resunetpp_forward_1x512", lambda: ResUNetPP(), 1, 512, False),
        ("conv3x3_64to64_forward_4x128", lambda: Conv(64, 64), 4, 128, False),
        ("conv3x3_16to16_forward_4x128", lambda: Conv(16, 16), 4, 128, False),
        ("conv3x3_g32_256_forward_4x32", lambda: Conv(256, 256, 32), 4, 32, False),
    ]
    wanted = set(args.case.split(",")) if args.case else None
    for name, make, batch, size, train in cases:
        if wanted is not None and name not in wanted:
            continue
        for cl in (False, True):
            r = bench(name, make(), batch, size, train, reps, warmup, cl)
            print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()

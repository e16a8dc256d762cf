"""Joins the Go and PyTorch benchmark lines of bench/run into a table and
bench/out/results.json.

Usage: python3 bench/report.py RAW.jsonl RESULTS.json
"""
import json, platform, subprocess, sys


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    raw, out = sys.argv[1], sys.argv[2]
    ours, torch_ = {}, {}
    for line in open(raw):
        r = json.loads(line)
        if "ours_ms" in r:
            ours[r["case"]] = r
        else:
            torch_.setdefault(r["case"], {})[r["layout"]] = r
    # The machine's best: the fastest single convolution, ours or PyTorch's.
    convs = [c for c in ours if c.startswith("conv3x3_") and "_g" not in c] or list(ours)
    best_gflops = max(ours[c]["gflop"] / ours[c]["ours_ms"] * 1e3 for c in convs)
    for c, t in torch_.items():
        if c in convs:
            best_gflops = max([best_gflops] + [ours[c]["gflop"] / t[lay]["pytorch_ms"] * 1e3
                                               for lay in t])
    rows = []
    for c, o in ours.items():
        t = torch_.get(c, {})
        nchw = t.get("nchw", {}).get("pytorch_ms")
        cl = t.get("channels_last", {}).get("pytorch_ms")
        best = min(v for v in (nchw, cl) if v is not None) if (nchw or cl) else None
        row = {"case": c, "backend": o["backend"], "ours_ms": round(o["ours_ms"], 2),
               "pytorch_ms": round(best, 2) if best else None,
               "pytorch_nchw_ms": round(nchw, 2) if nchw else None,
               "pytorch_channels_last_ms": round(cl, 2) if cl else None,
               "ratio": round(o["ours_ms"] / best, 3) if best else None,
               "gflop": round(o["gflop"], 3),
               "ours_gflop_per_s": round(o["gflop_per_s"], 1),
               "share_of_best_gflop_per_s": round(o["gflop_per_s"] / best_gflops, 3),
               "floor_ms": round(o["gflop"] / best_gflops * 1e3, 2),
               "ours_peak_rss_mb": round(o["peak_rss_mb"], 1),
               "pytorch_peak_rss_mb": round(max(v["peak_rss_mb"] for v in t.values()), 1)
               if t else None}
        rows.append(row)
    meta = {"cpu": cpu_model(), "best_conv_gflop_per_s": round(best_gflops, 1)}
    for r in rows:
        r["machine"] = meta["cpu"]
    with open(out, "w") as f:
        json.dump(rows, f, indent=2)
    print(f"machine: {meta['cpu']}; best single-conv {meta['best_conv_gflop_per_s']} GFLOP/s")
    hdr = ("case", "ours ms", "torch nchw", "torch cl", "ratio", "GFLOP/s", "of best",
           "floor ms", "ours MB", "torch MB")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    f = lambda v: "" if v is None else str(v)
    for r in rows:
        print("| " + " | ".join(f(v) for v in (
            r["case"], r["ours_ms"], r["pytorch_nchw_ms"], r["pytorch_channels_last_ms"],
            r["ratio"], r["ours_gflop_per_s"], r["share_of_best_gflop_per_s"], r["floor_ms"],
            r["ours_peak_rss_mb"], r["pytorch_peak_rss_mb"])) + " |")


if __name__ == "__main__":
    main()

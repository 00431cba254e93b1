"""PyTorch 1.13 timings for the depthwise shapes of bench/kernels/depthwise.js.

Usage: OMP_NUM_THREADS=2 /usr/bin/python3 bench/torch/depthwise.py '<json list of shapes>'
Each shape: {name, N, H, W, C, m, k, stride, pad}. Prints one JSON object per line with the
median forward and forward+backward (input, weight and bias gradients) times in seconds, best
of NCHW and channels_last memory formats.
"""
import json
import sys
import time

import torch


def median_time(fn, runs, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


def bench(shape, runs):
    torch.manual_seed(0)
    C, m, k = shape["C"], shape["m"], shape["k"]
    conv = torch.nn.Conv2d(C, C * m, k, stride=shape["stride"], padding=shape["pad"], groups=C, bias=True)
    best = {}
    for fmt_name, fmt in (("nchw", torch.contiguous_format), ("channels_last", torch.channels_last)):
        x = torch.randn(shape["N"], C, shape["H"], shape["W"]).to(memory_format=fmt)
        layer = conv.to(memory_format=fmt)
        with torch.no_grad():
            fwd = median_time(lambda: layer(x), runs)
        xg = x.clone().requires_grad_(True)
        y = layer(xg)
        dy = torch.randn_like(y)

        def step():
            layer.zero_grad(set_to_none=True)
            xg.grad = None
            layer(xg).backward(dy)

        fwdbwd = median_time(step, runs)
        for key, value in (("fwd", fwd), ("fwdbwd", fwdbwd)):
            if key not in best or value < best[key][0]:
                best[key] = (value, fmt_name)
    return {"name": shape["name"], "fwd": best["fwd"][0], "fwdFormat": best["fwd"][1],
            "fwdbwd": best["fwdbwd"][0], "fwdbwdFormat": best["fwdbwd"][1],
            "torch": torch.__version__, "threads": torch.get_num_threads()}


def main():
    shapes = json.loads(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 11
    for shape in shapes:
        print(json.dumps(bench(shape, runs)), flush=True)


if __name__ == "__main__":
    main()

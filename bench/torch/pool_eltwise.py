# PyTorch 1.13 timings (ms, median) of the pool / elementwise / concat benchmark shapes, best of
# NCHW and channels_last, for bench/kernels/pool_eltwise.js. Run with OMP_NUM_THREADS=2.
import json
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(2)


def median_ms(fn, runs=15, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    times.sort()
    return times[len(times) // 2]


def both_layouts(make):
    best = None
    for fmt in (torch.contiguous_format, torch.channels_last):
        t = make(fmt)
        best = t if best is None else min(best, t)
    return best


def maxpool_fwd(fmt):
    x = torch.randn(8, 64, 112, 112).to(memory_format=fmt)
    return median_ms(lambda: F.max_pool2d(x, 3, 2, 1))


def maxpool_bwd(fmt):
    x = torch.randn(8, 64, 112, 112).to(memory_format=fmt).requires_grad_()
    y = F.max_pool2d(x, 3, 2, 1)
    g = torch.randn_like(y)
    return median_ms(lambda: torch.autograd.grad(y, x, g, retain_graph=True))


def global_avg(fmt):
    x = torch.randn(8, 256, 56, 56).to(memory_format=fmt)
    return median_ms(lambda: F.adaptive_avg_pool2d(x, 1))


def se_scale(fmt):
    x = torch.randn(8, 256, 56, 56).to(memory_format=fmt)
    s = torch.randn(8, 256, 1, 1)
    return median_ms(lambda: x * s)


def residual_add(fmt):
    x = torch.randn(8, 256, 56, 56).to(memory_format=fmt)
    y = torch.randn(8, 256, 56, 56).to(memory_format=fmt)
    return median_ms(lambda: x + y)


def concat_c(fmt):
    a = torch.randn(8, 128, 56, 56).to(memory_format=fmt)
    b = torch.randn(8, 32, 56, 56).to(memory_format=fmt)
    return median_ms(lambda: torch.cat([a, b], 1))


ops = {
    'maxpool fwd': maxpool_fwd,
    'maxpool bwd': maxpool_bwd,
    'global avg pool': global_avg,
    'SE scale mul': se_scale,
    'residual add': residual_add,
    'concat C': concat_c,
}
only = sys.argv[1:] or list(ops)
print(json.dumps({name: both_layouts(ops[name]) for name in only}))

# PyTorch reference for bench/kernels/batchnorm.js: BN training forward+backward and
# activation forward, best of NCHW / channels_last, medians. Prints one JSON object.
# Run with OMP_NUM_THREADS=2 /usr/bin/python3 bench/torch/batchnorm.py N C H W
import json
import sys
import time

import torch

torch.set_num_threads(2)
N, C, H, W = (int(v) for v in sys.argv[1:5]) if len(sys.argv) >= 5 else (8, 256, 56, 56)


def median_time(fn, runs=9, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


result = {}
for layout in ("nchw", "channels_last"):
    fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
    x = torch.randn(N, C, H, W).to(memory_format=fmt).requires_grad_()
    bn = torch.nn.BatchNorm2d(C).train()
    dy = torch.randn(N, C, H, W).to(memory_format=fmt)

    def fwd():
        with torch.no_grad():
            bn(x)

    def fwd_bwd():
        x.grad = None
        bn.weight.grad = None
        bn.bias.grad = None
        bn(x).backward(dy)

    result[layout] = {"fwd": median_time(fwd), "fwdBwd": median_time(fwd_bwd)}
    acts = {}
    for name, f in (("relu", torch.relu), ("sigmoid", torch.sigmoid), ("gelu", torch.nn.functional.gelu),
                    ("silu", torch.nn.functional.silu)):
        xd = x.detach()
        acts[name] = median_time(lambda: f(xd))
    result[layout]["activations"] = acts
print(json.dumps(result))

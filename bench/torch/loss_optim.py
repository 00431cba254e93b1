"""PyTorch 1.13 timings for bench/kernels/loss_optim.js (same shapes, same run, 2 threads).

Prints one JSON object: median seconds per case. Optimizers use torch.optim with foreach=True
over one flat float32 parameter of ResNet-50's size (the same bytes convkit moves).
Run: OMP_NUM_THREADS=2 /usr/bin/python3 bench/torch/loss_optim.py [--quick]
"""
import json
import sys
import time

import torch
import torch.nn.functional as F

RESNET50_PARAMS = 25_557_032


def median_seconds(fn, runs, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


def optimizer_case(cls, options, runs):
    param = torch.nn.Parameter(torch.randn(RESNET50_PARAMS))
    param.grad = torch.randn(RESNET50_PARAMS)
    optimizer = cls([param], foreach=True, **options)
    optimizer.step()  # creates the state (first step)
    return median_seconds(optimizer.step, runs)


def main():
    quick = "--quick" in sys.argv
    torch.set_num_threads(2)
    runs = 5 if quick else 11
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    out["sgd_momentum"] = optimizer_case(torch.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=5e-4), runs)
    out["adamw"] = optimizer_case(torch.optim.AdamW, dict(lr=1e-3, weight_decay=1e-2), runs)

    logits = torch.randn(256, 1000, requires_grad=True)
    labels = torch.randint(0, 1000, (256,))

    def xent():
        logits.grad = None
        F.cross_entropy(logits, labels, label_smoothing=0.1).backward()

    out["cross_entropy_fwd_bwd"] = median_seconds(xent, runs * 4)

    x = torch.randn(64, 2048, requires_grad=True)
    w = torch.randn(1000, 2048, requires_grad=True)
    b = torch.randn(1000, requires_grad=True)
    dy = torch.randn(64, 1000)

    def linear():
        x.grad = w.grad = b.grad = None
        F.linear(x, w, b).backward(dy)

    out["linear_fwd_bwd"] = median_seconds(linear, runs * 4)
    print(json.dumps(out))


if __name__ == "__main__":
    main()

"""PyTorch 1.13 side of bench/blocks.js: the same modules (torchvision names) at the same
shapes, forward and training step (forward + backward of the sum), best of NCHW and
channels_last, 2 threads. Prints a JSON list of {fwd, train} seconds (medians).

Run: OMP_NUM_THREADS=2 /usr/bin/python3 bench/torch/blocks.py SPEC_JSON RUNS
"""
import json
import sys
import time

import torch
import torchvision


def median_time(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def main(spec, runs):
    torch.set_num_threads(2)
    cache, out = {}, []
    for s in spec:
        if not hasattr(torchvision.models, s["model"]):  # e.g. mobilenet_v1: not in torchvision
            out.append(None)
            continue
        if s["model"] not in cache:
            kwargs = dict(aux_logits=False, init_weights=False) if s["model"] in ("googlenet", "inception_v3") else {}
            cache[s["model"]] = getattr(torchvision.models, s["model"])(weights=None, **kwargs)
        module = dict(cache[s["model"]].named_modules())[s["module"]]
        best = None
        for fmt in (torch.contiguous_format, torch.channels_last):
            m = module.to(memory_format=fmt)
            xs = [torch.randn(*shape).to(memory_format=fmt) for shape in s["shapes"]]
            call = (lambda: m(xs)) if "denselayer" in s["module"] else (lambda: m(*xs))
            m.eval()
            with torch.no_grad():
                fwd = median_time(call, runs)
            m.train()

            def step():
                m.zero_grad()
                call().sum().backward()

            train = median_time(step, runs)
            if best is None or fwd + train < best[0] + best[1]:
                best = (fwd, train)
        out.append({"fwd": best[0], "train": best[1]})
    print(json.dumps(out))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]), int(sys.argv[2]))

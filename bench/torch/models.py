"""PyTorch 1.13 side of bench/models.js: training (SGD step) and inference images/s of a
torchvision model in NCHW and in channels_last (the caller picks the better format over all
its rounds), and the process's peak RSS. Prints JSON.

Run: OMP_NUM_THREADS=2 /usr/bin/python3 bench/torch/models.py NAME SIZE BATCH OPTIONS_JSON STEPS
"""
import json
import resource
import sys
import time

import torch
import torchvision


def build(name, options):
    kwargs = {}
    if options.get("numClasses"):
        kwargs["num_classes"] = options["numClasses"]
    model = getattr(torchvision.models, name)(weights=None, **kwargs)
    if options.get("cifarStem"):  # 3x3 stride-1 stem, no max-pool, as convkit's cifarStem
        model.conv1 = torch.nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        model.maxpool = torch.nn.Identity()
    return model


def median_time(fn, steps):
    fn()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def main(name, size, batch, options, steps):
    torch.set_num_threads(2)
    results = {}
    for fmt in (torch.contiguous_format, torch.channels_last):
        model = build(name, options).to(memory_format=fmt)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x = torch.randn(batch, 3, size, size).to(memory_format=fmt)
        y = torch.arange(batch) % 10

        def train_step():
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()

        model.train()
        t_train = median_time(train_step, steps)
        model.eval()
        with torch.no_grad():
            t_infer = median_time(lambda: model(x), steps)
        fmt_name = "channels_last" if fmt == torch.channels_last else "nchw"
        results[fmt_name] = {"trainImagesPerSecond": batch / t_train, "inferImagesPerSecond": batch / t_infer}
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"formats": results, "maxRssMB": rss}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4]), int(sys.argv[5]))

"""PyTorch 1.13 run of the recipe of `convkit train` on full Fashion-MNIST, for issue #9's
side-by-side: resnet20 (He et al.'s CIFAR net, option A shortcuts, widths 16/32/64, one input
channel), SGD momentum 0.9 weight decay 5e-4, OneCycleLR (PyTorch defaults) peaking at --lr and
stepped per batch, batch 128 shuffled, last partial batch kept, random crop (padding 2) + flip
with --augment crop-flip, normalize mean 0.286 std 0.353; test accuracy after each epoch.
Channels-last activations (convkit's NHWC). Prints one JSON line per epoch and a summary.

Run: OMP_NUM_THREADS=2 /usr/bin/python3 bench/torch/train_fmnist.py \
       --data-dir /usr/share/datasets/fashion-mnist --epochs 20 --augment crop-flip
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class PadShortcut(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride, self.extra = stride, cout - cin

    def forward(self, x):
        x = x[:, :, :: self.stride, :: self.stride]
        lo = self.extra // 2
        return F.pad(x, (0, 0, 0, 0, lo, self.extra - lo))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = PadShortcut(cin, cout, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.shortcut is None else self.shortcut(x)))


class ResNet20(nn.Module):
    def __init__(self, in_channels=1, classes=10, widths=(16, 32, 64), n=3):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        layers, cin = [], widths[0]
        for i, w in enumerate(widths):
            for j in range(n):
                layers.append(BasicBlock(cin, w, 2 if (i > 0 and j == 0) else 1))
                cin = w
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(widths[-1], classes)
        for m in self.modules():  # torchvision's ResNet init, as convkit's initResNetWeights
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def augment(batch, rng, mode, padding=2):
    """batch: uint8 [N, H, W]. Random crop with zero padding, then horizontal flip."""
    n, h, w = batch.shape
    out = batch.copy()
    if mode == "crop-flip":
        padded = np.zeros((n, h + 2 * padding, w + 2 * padding), np.uint8)
        padded[:, padding : padding + h, padding : padding + w] = batch
        oy = rng.integers(0, 2 * padding + 1, n)
        ox = rng.integers(0, 2 * padding + 1, n)
        for i in range(n):
            out[i] = padded[i, oy[i] : oy[i] + h, ox[i] : ox[i] + w]
    if mode in ("flip", "crop-flip"):
        flip = rng.random(n) < 0.5
        out[flip] = out[flip, :, ::-1]
    return out


def to_input(images):
    x = torch.from_numpy(np.array(images, dtype=np.float32)).div_(255).sub_(0.286).div_(0.353)
    return x.unsqueeze(1).contiguous(memory_format=torch.channels_last)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--augment", default="crop-flip", choices=["none", "flip", "crop-flip"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--limit-train", type=int, default=0)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    d = a.data_dir
    xtr = read_idx(os.path.join(d, "train-images-idx3-ubyte.gz"))
    ytr = read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    xte = read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz"))
    yte = read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    if a.limit_train:
        xtr, ytr = xtr[: a.limit_train], ytr[: a.limit_train]
    model = ResNet20().to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, weight_decay=5e-4)
    steps = (len(xtr) + a.batch_size - 1) // a.batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=a.epochs * steps)
    xte_t = to_input(xte)
    history = []
    started = time.perf_counter()
    for epoch in range(a.epochs):
        model.train()
        order = rng.permutation(len(xtr))
        seen = correct = 0
        loss_sum = 0.0
        train_seconds = 0.0
        for s in range(steps):
            t0 = time.perf_counter()
            idx = order[s * a.batch_size : (s + 1) * a.batch_size]
            x = to_input(augment(xtr[idx], rng, a.augment))
            y = torch.from_numpy(ytr[idx])
            opt.zero_grad(set_to_none=True)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            opt.step()
            sched.step()
            train_seconds += time.perf_counter() - t0
            seen += len(idx)
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == y).sum().item()
        model.eval()
        t0 = time.perf_counter()
        with torch.no_grad():
            hits = sum(
                (model(xte_t[i : i + 256]).argmax(1) == torch.from_numpy(yte[i : i + 256])).sum().item()
                for i in range(0, len(xte), 256)
            )
        record = {
            "epoch": epoch + 1,
            "trainLoss": loss_sum / seen,
            "trainTop1": correct / seen,
            "valTop1": hits / len(xte),
            "imagesPerSecond": seen / train_seconds,
            "trainSeconds": train_seconds,
            "valSeconds": time.perf_counter() - t0,
        }
        history.append(record)
        print(json.dumps(record), flush=True)
    summary = {
        "final": history[-1]["valTop1"],
        "best": max(r["valTop1"] for r in history),
        "totalSeconds": time.perf_counter() - started,
        "medianImagesPerSecond": sorted(r["imagesPerSecond"] for r in history)[len(history) // 2],
    }
    print(json.dumps(summary), flush=True)
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"args": vars(a), "history": history, "summary": summary}, f, indent=1)


if __name__ == "__main__":
    main()

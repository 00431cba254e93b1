"""Generates test/fixtures/optim_torch113.json: parameters after each of 5 optimizer steps,
computed once with PyTorch 1.13's torch.optim (SGD, Adam, AdamW, RMSprop) on float32 tensors, so the
tests can check convkit's fused updates against PyTorch without needing PyTorch.

Run: OMP_NUM_THREADS=2 /usr/bin/python3 bench/torch/gen_optim_fixture.py
"""
import json
import os

import torch

SIZE = 13
STEPS = 5

CONFIGS = [
    ("sgd", "SGD", dict(lr=0.1)),
    ("sgd_momentum", "SGD", dict(lr=0.1, momentum=0.9)),
    ("sgd_momentum_dampening_wd", "SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=1e-2)),
    ("sgd_nesterov_wd", "SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)),
    ("sgd_maximize", "SGD", dict(lr=0.1, momentum=0.5, maximize=True)),
    ("adam", "Adam", dict(lr=1e-2)),
    ("adam_wd_amsgrad", "Adam", dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-2, amsgrad=True)),
    ("adamw", "AdamW", dict(lr=1e-2)),
    ("adamw_wd_amsgrad", "AdamW", dict(lr=3e-3, weight_decay=0.1, amsgrad=True)),
    ("adamw_maximize", "AdamW", dict(lr=1e-2, weight_decay=0.05, maximize=True)),
    ("rmsprop", "RMSprop", dict(lr=1e-2)),
    ("rmsprop_centered_momentum_wd", "RMSprop", dict(lr=1e-2, alpha=0.9, momentum=0.5, centered=True, weight_decay=1e-2)),
]


def main():
    generator = torch.Generator().manual_seed(113)
    initial = torch.randn(SIZE, generator=generator, dtype=torch.float32)
    grads = [torch.randn(SIZE, generator=generator, dtype=torch.float32) for _ in range(STEPS)]
    cases = []
    for name, cls, options in CONFIGS:
        param = torch.nn.Parameter(initial.clone())
        optimizer = getattr(torch.optim, cls)([param], **options)
        after = []
        for g in grads:
            param.grad = g.clone()
            optimizer.step()
            after.append(param.detach().tolist())
        cases.append({"name": name, "optimizer": cls, "options": options, "params": after})
    out = {
        "generator": "bench/torch/gen_optim_fixture.py",
        "torch": torch.__version__,
        "initial": initial.tolist(),
        "grads": [g.tolist() for g in grads],
        "cases": cases,
    }
    path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "optim_torch113.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()

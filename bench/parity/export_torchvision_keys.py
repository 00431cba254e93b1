"""Writes test/fixtures/zoo/<name>.json: the state-dict keys and shapes (in order), the
parameter count and the state-dict entry count of torchvision 0.14 models, so tests can check
convkit's constructors without PyTorch.

Run: OMP_NUM_THREADS=2 /usr/bin/python3 bench/parity/export_torchvision_keys.py NAME [NAME ...]
(googlenet and inception_v3 are built without aux heads, init_weights=False for speed).
"""
import json
import os
import sys

import torchvision

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "zoo")


def build(name):
    kwargs = {}
    if name in ("googlenet", "inception_v3"):
        kwargs = dict(aux_logits=False, init_weights=False)
    return getattr(torchvision.models, name)(weights=None, **kwargs)


def main(names):
    os.makedirs(ROOT, exist_ok=True)
    for name in names:
        model = build(name)
        sd = model.state_dict()
        out = {
            "model": name,
            "torchvision": torchvision.__version__,
            "params": sum(p.numel() for p in model.parameters()),
            "state_dict_entries": len(sd),
            "keys": [[k, list(v.shape)] for k, v in sd.items()],
        }
        with open(os.path.join(ROOT, name + ".json"), "w") as f:
            json.dump(out, f, separators=(",", ":"))
            f.write("\n")
        print(name, out["params"], out["state_dict_entries"])


if __name__ == "__main__":
    main(sys.argv[1:])

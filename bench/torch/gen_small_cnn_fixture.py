"""Generates test/fixtures/torch_small_cnn.safetensors: the state dict of a small PyTorch conv
net (after a few training forwards, so BN running stats are not trivial), an input batch (NCHW)
and the net's eval-mode output, so a test can load the weights into the same convkit module
and compare outputs without PyTorch.

Run: OMP_NUM_THREADS=2 /usr/bin/python3 bench/torch/gen_small_cnn_fixture.py
The safetensors file is written by hand (8-byte little-endian header length, JSON header,
raw little-endian data), as the format's specification describes.
"""
import json
import os
import struct

import torch
from torch import nn


def small_cnn():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 6, 3, stride=1, padding=1, bias=False),
        nn.BatchNorm2d(6),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(6 * 4 * 4, 5),
    )


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt", "generator": "bench/torch/gen_small_cnn_fixture.py"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def main():
    torch.manual_seed(0)
    model = small_cnn()
    model.train()
    for _ in range(3):
        model(torch.randn(4, 3, 8, 8) * 2 + 0.5)
    model.eval()
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        y = model(x)
    tensors = dict(model.state_dict())
    tensors["input_nchw"] = x
    tensors["expected_output"] = y
    path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "torch_small_cnn.safetensors")
    write_safetensors(path, tensors)
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()

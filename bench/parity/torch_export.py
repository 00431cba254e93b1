"""Exports a torchvision model with random weights for the parity check (bench/parity/run.js):
its state dict (keys unchanged), an input batch, the eval-mode output, and the gradients of
sum(output * projection) with respect to the input and to every parameter.

Run: OMP_NUM_THREADS=2 /usr/bin/python3 bench/parity/torch_export.py NAME SIZE OUT.safetensors
"""
import json
import struct
import sys

import torch
import torchvision


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def main(name, size, out):
    torch.manual_seed(0)
    kwargs = dict(aux_logits=False, init_weights=True) if name in ("googlenet", "inception_v3") else {}
    model = getattr(torchvision.models, name)(weights=None, **kwargs)
    # Non-trivial BN running statistics: a few training forwards on random data.
    model.train()
    with torch.no_grad():
        for _ in range(2):
            model(torch.randn(2, 3, size, size))
    model.eval()
    x = torch.randn(2, 3, size, size, requires_grad=True)
    y = model(x)
    projection = torch.randn_like(y)
    (y * projection).sum().backward()
    tensors = dict(model.state_dict())
    tensors["__input"] = x.detach()
    tensors["__output"] = y.detach()
    tensors["__projection"] = projection
    tensors["__grad_input"] = x.grad
    for k, p in model.named_parameters():
        tensors["__grad." + k] = p.grad
    write_safetensors(out, tensors)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])

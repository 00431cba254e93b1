#!/usr/bin/env python3
"""Writes test/fixtures/safetensors/reference.safetensors the way the reference writer
(huggingface/safetensors, serde_json) lays a file out, with only the Python standard library:
8-byte little-endian header length, compact JSON with __metadata__ first, entries sorted by
dtype size (widest first) then name, header padded with spaces to a multiple of 8.
The values are exact in every dtype, so the test can compare them exactly."""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'safetensors', 'reference.safetensors')

SIZE = {'F64': 8, 'I64': 8, 'F32': 4, 'I32': 4, 'F16': 2, 'BF16': 2, 'U8': 1}


def bf16(values):
    # The top 16 bits of each float32 (values chosen exact in bfloat16).
    return b''.join(struct.pack('<I', v)[2:] for v in struct.unpack('<%dI' % len(values), struct.pack('<%df' % len(values), *values)))


tensors = {
    'conv1.weight': ('F32', [2, 1, 2, 2], struct.pack('<8f', 0.5, -1.25, 2, 3, -4, 5.5, 6, -7)),
    'bn1.num_batches_tracked': ('I64', [], struct.pack('<q', 123456789012)),
    'half': ('F16', [3], struct.pack('<3e', 1.5, -2.0, 65504.0)),
    'brain': ('BF16', [2], bf16([1.0, -3.5])),
    'double': ('F64', [2], struct.pack('<2d', 0.1, -1e300)),
    'index': ('I32', [2], struct.pack('<2i', -7, 2147483647)),
    'mask': ('U8', [4], bytes([0, 1, 254, 255])),
    'empty': ('F32', [0, 3], b''),
}

order = sorted(tensors, key=lambda name: (-SIZE[tensors[name][0]], name))
header = {'__metadata__': {'format': 'pt', 'source': 'scripts/make-safetensors-fixtures.py'}}
offset = 0
for name in order:
    dtype, shape, data = tensors[name]
    header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [offset, offset + len(data)]}
    offset += len(data)
text = json.dumps(header, separators=(',', ':')).encode('utf-8')
text += b' ' * ((8 - len(text) % 8) % 8)
with open(OUT, 'wb') as f:
    f.write(struct.pack('<Q', len(text)))
    f.write(text)
    for name in order:
        f.write(tensors[name][2])
print(OUT, 8 + len(text) + offset, 'bytes')

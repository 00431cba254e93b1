// Fills a model built under nn.init.skipInit with well-scaled values in a fraction of the time
// of the generator-driven init: forward tests of 60M-140M parameter nets need nonzero weights,
// not torchvision's distributions (those are tested on small modules). Weights up to 2^20
// elements get a hash of the element index, uniform in ±sqrt(6 / fan_in) (kaiming uniform for
// ReLU nets); larger ones (AlexNet's and VGG's classifiers) the constant 1 / fan_in, filled by
// TypedArray.fill, since a JS loop over 100M elements takes tens of seconds under jest.
import type { nn, Tensor } from '../../lib';

function fillHashed(t: Tensor, bound: number, salt: number): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    let h = Math.imul(i ^ salt, 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
    h ^= h >>> 13;
    d[i] = ((h >>> 8) / 16777216 - 0.5) * 2 * bound;
  }
}

export function quickFill(model: nn.Module, seed = 1): nn.Module {
  let salt = seed * 7919;
  for (const [name, p] of model.namedParameters()) {
    salt += 104729;
    if (p.ndim >= 2) {
      const fanIn = p.shape.slice(1).reduce((a, b) => a * b, 1);
      if (p.size > 1 << 20) p.data.fill(1 / fanIn);
      else fillHashed(p, Math.sqrt(6 / fanIn), salt);
    } else if (!name.endsWith('.weight')) {
      p.data.fill(0); // biases (BN weights keep 1)
    }
  }
  return model;
}

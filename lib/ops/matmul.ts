// matmul for 2-D [M,K]x[K,N] and batched 3-D [B,M,K]x[B,K,N] (or x[K,N]) on the native GEMM.
import { invalidRange } from '../check';
import { native } from '../native';
import { Tensor, zeros } from '../tensor';

function requireTensor(op: string, name: string, value: unknown): Tensor {
  if (!(value instanceof Tensor))
    throw new TypeError(`convkit.${op}: expected a Tensor for ${name}`);
  value.assertAlive(op);
  return value;
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  const op = 'matmul';
  requireTensor(op, 'a', a);
  requireTensor(op, 'b', b);
  if (a.ndim !== 2 && a.ndim !== 3)
    throw invalidRange(op, 'a', 'a 2-D or 3-D tensor', `shape [${a.shape}]`);
  if (b.ndim !== 2 && b.ndim !== 3)
    throw invalidRange(op, 'b', 'a 2-D or 3-D tensor', `shape [${b.shape}]`);
  if (a.ndim === 2 && b.ndim === 3)
    throw invalidRange(op, 'b', 'a 2-D tensor when a is 2-D', `shape [${b.shape}]`);
  const batch = a.ndim === 3 ? a.shape[0] : 1;
  const [M, K] = a.shape.slice(-2);
  const [Kb, N] = b.shape.slice(-2);
  if (K !== Kb)
    throw invalidRange(
      op,
      'b',
      `${K} rows to match a's ${K} columns`,
      `shape [${b.shape}] (a is [${a.shape}])`,
    );
  if (b.ndim === 3 && b.shape[0] !== batch)
    throw invalidRange(op, 'b', `batch ${batch} like a`, `shape [${b.shape}]`);
  const out = zeros(a.ndim === 3 ? [batch, M, N] : [M, N]);
  const bStride = b.ndim === 3 ? K * N : 0;
  for (let i = 0; i < batch; i++) {
    native.sgemm(
      false,
      false,
      M,
      N,
      K,
      1,
      a.data.subarray(i * M * K, (i + 1) * M * K),
      Math.max(K, 1),
      b.data.subarray(i * bStride, i * bStride + K * N),
      Math.max(N, 1),
      0,
      out.data.subarray(i * M * N, (i + 1) * M * N),
      Math.max(N, 1),
    );
  }
  return out;
}

// matmul for 2-D [M,K]x[K,N] and batched 3-D [B,M,K]x[B,K,N] (or x[K,N]) on the native GEMM,
// with autograd: dA = g B^T, dB = A^T g (summed over the batch when B was shared).
import { invalidRange } from '../check';
import { native } from '../native';
import { empty, Tensor, zeros, requireTensor } from '../tensor';
import { record } from './record';

/** op(A) x op(B) per batch entry; stride 0 reuses one matrix for every entry. */
function batchedGemm(
  a: Tensor,
  transA: boolean,
  aStride: number,
  b: Tensor,
  transB: boolean,
  bStride: number,
  batch: number,
  M: number,
  N: number,
  K: number,
  outShape: number[],
  accumulate = false,
): Tensor {
  const out = accumulate ? zeros(outShape) : empty(outShape);
  const outStride = accumulate ? 0 : M * N;
  const lda = Math.max(transA ? M : K, 1),
    ldb = Math.max(transB ? K : N, 1);
  for (let i = 0; i < batch; i++)
    native.sgemm(
      transA,
      transB,
      M,
      N,
      K,
      1,
      a.data.subarray(i * aStride, i * aStride + M * K),
      lda,
      b.data.subarray(i * bStride, i * bStride + K * N),
      ldb,
      accumulate ? 1 : 0,
      out.data.subarray(i * outStride, i * outStride + M * N),
      Math.max(N, 1),
    );
  return out;
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
  const bStride = b.ndim === 3 ? K * N : 0;
  const out = batchedGemm(
    a,
    false,
    M * K,
    b,
    false,
    bStride,
    batch,
    M,
    N,
    K,
    a.ndim === 3 ? [batch, M, N] : [M, N],
  );
  return record(out, 'matmul', [a, b], (g) => [
    // dA[M,K] = g[M,N] B^T ; dB[K,N] = A^T g (accumulated over the batch when B is shared).
    a.requiresGrad
      ? batchedGemm(g, false, M * N, b, true, bStride, batch, M, K, N, [...a.shape])
      : null,
    b.requiresGrad
      ? batchedGemm(a, true, M * K, g, false, M * N, batch, K, N, M, [...b.shape], bStride === 0)
      : null,
  ]);
}

// 2-D pooling over NHWC tensors [N, H, W, C] with PyTorch's semantics (output size rule with
// ceilMode, padding <= kernel / 2, countIncludePad, divisorOverride, adaptive windows).
// Max pooling returns PyTorch's indices: the flat h * W + w inside the input plane.
import { checkInt, invalidRange, invalidType } from '../check';
import { native } from '../native';
import { Shape, Tensor, empty } from '../tensor';

type Windowed = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  boolean,
];

export interface PoolNative {
  poolOutputSize(
    inSize: number,
    kernel: number,
    padding: number,
    stride: number,
    dilation: number,
    ceilMode: boolean,
  ): number;
  maxPool2d(...args: [...Windowed, Float32Array, Float32Array, Int32Array]): void;
  maxPool2dReference: PoolNative['maxPool2d'];
  maxPool2dBackward(...args: [...Windowed, Float32Array, Int32Array, Float32Array]): void;
  maxPool2dBackwardReference: PoolNative['maxPool2dBackward'];
  avgPool2d(...args: [...Windowed, boolean, number, Float32Array, Float32Array]): void;
  avgPool2dReference: PoolNative['avgPool2d'];
  avgPool2dBackward: PoolNative['avgPool2d'];
  avgPool2dBackwardReference: PoolNative['avgPool2d'];
  adaptiveAvgPool2d(
    N: number,
    H: number,
    W: number,
    C: number,
    OH: number,
    OW: number,
    a: Float32Array,
    b: Float32Array,
  ): void;
  adaptiveAvgPool2dReference: PoolNative['adaptiveAvgPool2d'];
  adaptiveAvgPool2dBackward: PoolNative['adaptiveAvgPool2d'];
  adaptiveAvgPool2dBackwardReference: PoolNative['adaptiveAvgPool2d'];
}

export const poolNative = native as unknown as PoolNative;

export type Pair = number | readonly [number, number];

export interface MaxPool2dOptions {
  kernelSize: Pair;
  /** Defaults to kernelSize, as PyTorch. */
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  ceilMode?: boolean;
}

export interface AvgPool2dOptions {
  kernelSize: Pair;
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
  /** Count padded positions in the divisor (PyTorch's default: true). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead. */
  divisorOverride?: number;
}

export interface MaxPoolResult {
  output: Tensor;
  /** Same shape as output: argmax position h * W + w in the input plane. */
  indices: Int32Array;
  /**
   * The native memory behind `indices` (a tensor of the same size, viewed as int32): freed with
   * the enclosing tidy like any tensor, or at once with dispose() when no backward will run.
   * (A plain Int32Array per call cost 4x the kernel's time: V8 zero-fills it, faults its pages
   * in and counts it toward its next garbage collection.)
   */
  indexStorage: Tensor;
}

function pair(op: string, name: string, value: unknown, min: number): [number, number] {
  if (Array.isArray(value)) {
    if (value.length !== 2) throw invalidRange(op, name, 'a number or a pair', value);
    return [checkInt(op, `${name}[0]`, value[0], min), checkInt(op, `${name}[1]`, value[1], min)];
  }
  const v = checkInt(op, name, value, min);
  return [v, v];
}

export function requireNhwc(
  op: string,
  name: string,
  x: unknown,
): [number, number, number, number] {
  if (!(x instanceof Tensor)) throw invalidType(op, name, 'a Tensor', x);
  x.assertAlive(op);
  if (x.ndim !== 4) throw invalidRange(op, name, 'a 4-D NHWC tensor', `shape [${x.shape}]`);
  return x.shape as unknown as [number, number, number, number];
}

function requireShape4(op: string, name: string, shape: unknown): [number, number, number, number] {
  if (!Array.isArray(shape) || shape.length !== 4)
    throw invalidRange(op, name, 'an NHWC shape [N, H, W, C]', shape);
  return shape.map((d, i) => checkInt(op, `${name}[${i}]`, d, 0)) as [
    number,
    number,
    number,
    number,
  ];
}

interface Geometry {
  args: Windowed;
  outShape: [number, number, number, number];
}

function geometry(
  op: string,
  inShape: readonly number[],
  o: MaxPool2dOptions | AvgPool2dOptions,
  dilationAllowed: boolean,
): Geometry {
  if (typeof o !== 'object' || o === null) throw invalidType(op, 'options', 'an options object', o);
  const [N, H, W, C] = inShape;
  const kernel = pair(op, 'kernelSize', o.kernelSize, 1);
  const stride = o.stride === undefined ? kernel : pair(op, 'stride', o.stride, 1);
  const padding = pair(op, 'padding', o.padding ?? 0, 0);
  const dilation = dilationAllowed
    ? pair(op, 'dilation', (o as MaxPool2dOptions).dilation ?? 1, 1)
    : [1, 1];
  const ceilMode = o.ceilMode ?? false;
  if (typeof ceilMode !== 'boolean') throw invalidType(op, 'ceilMode', 'a boolean', ceilMode);
  for (const i of [0, 1])
    if (padding[i] > Math.floor(kernel[i] / 2))
      throw invalidRange(op, 'padding', `at most half the kernel size [${kernel}]`, [...padding]);
  const out = [H, W].map((size, i) =>
    poolNative.poolOutputSize(size, kernel[i], padding[i], stride[i], dilation[i], ceilMode),
  );
  if (out[0] < 1 || out[1] < 1)
    throw invalidRange(
      op,
      'kernelSize',
      `a window that fits the padded input [${H}, ${W}] (output size [${out}])`,
      [...kernel],
    );
  return {
    args: [
      N,
      H,
      W,
      C,
      kernel[0],
      kernel[1],
      stride[0],
      stride[1],
      padding[0],
      padding[1],
      dilation[0],
      dilation[1],
      ceilMode,
    ],
    outShape: [N, out[0], out[1], C],
  };
}

export function maxPool2d(x: Tensor, options: MaxPool2dOptions): MaxPoolResult {
  const op = 'maxPool2d';
  const shape = requireNhwc(op, 'input', x);
  const g = geometry(op, shape, options, true);
  const output = empty(g.outShape);
  const indexStorage = empty(g.outShape);
  const { buffer, byteOffset } = indexStorage.data;
  const indices = new Int32Array(buffer, byteOffset, indexStorage.size);
  poolNative.maxPool2d(...g.args, x.data, output.data, indices);
  return { output, indices, indexStorage };
}

export function maxPool2dBackward(
  gradOutput: Tensor,
  indices: Int32Array,
  inputShape: Shape,
  options: MaxPool2dOptions,
): Tensor {
  const op = 'maxPool2dBackward';
  requireNhwc(op, 'gradOutput', gradOutput);
  const g = geometry(op, requireShape4(op, 'inputShape', inputShape), options, true);
  if (gradOutput.shape.join() !== g.outShape.join())
    throw invalidRange(op, 'gradOutput', `shape [${g.outShape}]`, `shape [${gradOutput.shape}]`);
  if (!(indices instanceof Int32Array)) throw invalidType(op, 'indices', 'an Int32Array', indices);
  const gradInput = empty(inputShape);
  poolNative.maxPool2dBackward(...g.args, gradOutput.data, indices, gradInput.data);
  return gradInput;
}

function avgExtras(op: string, o: AvgPool2dOptions): [boolean, number] {
  const include = o.countIncludePad ?? true;
  if (typeof include !== 'boolean') throw invalidType(op, 'countIncludePad', 'a boolean', include);
  const divisor =
    o.divisorOverride === undefined ? 0 : checkInt(op, 'divisorOverride', o.divisorOverride, 1);
  return [include, divisor];
}

export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  const op = 'avgPool2d';
  const shape = requireNhwc(op, 'input', x);
  const g = geometry(op, shape, options, false);
  const output = empty(g.outShape);
  poolNative.avgPool2d(...g.args, ...avgExtras(op, options), x.data, output.data);
  return output;
}

export function avgPool2dBackward(
  gradOutput: Tensor,
  inputShape: Shape,
  options: AvgPool2dOptions,
): Tensor {
  const op = 'avgPool2dBackward';
  requireNhwc(op, 'gradOutput', gradOutput);
  const g = geometry(op, requireShape4(op, 'inputShape', inputShape), options, false);
  if (gradOutput.shape.join() !== g.outShape.join())
    throw invalidRange(op, 'gradOutput', `shape [${g.outShape}]`, `shape [${gradOutput.shape}]`);
  const gradInput = empty(inputShape);
  poolNative.avgPool2dBackward(
    ...g.args,
    ...avgExtras(op, options),
    gradOutput.data,
    gradInput.data,
  );
  return gradInput;
}

export function adaptiveAvgPool2d(x: Tensor, outputSize: Pair): Tensor {
  const op = 'adaptiveAvgPool2d';
  const [N, H, W, C] = requireNhwc(op, 'input', x);
  const [OH, OW] = pair(op, 'outputSize', outputSize, 1);
  if (H < 1 || W < 1) throw invalidRange(op, 'input', 'a non-empty plane', `shape [${x.shape}]`);
  const output = empty([N, OH, OW, C]);
  poolNative.adaptiveAvgPool2d(N, H, W, C, OH, OW, x.data, output.data);
  return output;
}

export function adaptiveAvgPool2dBackward(gradOutput: Tensor, inputShape: Shape): Tensor {
  const op = 'adaptiveAvgPool2dBackward';
  const [, OH, OW] = requireNhwc(op, 'gradOutput', gradOutput);
  const [N, H, W, C] = requireShape4(op, 'inputShape', inputShape);
  if (gradOutput.shape[0] !== N || gradOutput.shape[3] !== C)
    throw invalidRange(
      op,
      'gradOutput',
      `N = ${N} and C = ${C} as inputShape`,
      `shape [${gradOutput.shape}]`,
    );
  const gradInput = empty(inputShape);
  poolNative.adaptiveAvgPool2dBackward(N, H, W, C, OH, OW, gradOutput.data, gradInput.data);
  return gradInput;
}

/** Max over the whole plane: [N, 1, 1, C] and indices. */
export function globalMaxPool2d(x: Tensor): MaxPoolResult {
  const [, H, W] = requireNhwc('globalMaxPool2d', 'input', x);
  if (H < 1 || W < 1)
    throw invalidRange('globalMaxPool2d', 'input', 'a non-empty plane', `shape [${x.shape}]`);
  return maxPool2d(x, { kernelSize: [H, W] });
}

export function globalMaxPool2dBackward(
  gradOutput: Tensor,
  indices: Int32Array,
  inputShape: Shape,
): Tensor {
  const [, H, W] = requireShape4('globalMaxPool2dBackward', 'inputShape', inputShape);
  return maxPool2dBackward(gradOutput, indices, inputShape, { kernelSize: [H, W] });
}

/** Mean over the whole plane: [N, 1, 1, C]. */
export function globalAvgPool2d(x: Tensor): Tensor {
  return adaptiveAvgPool2d(x, 1);
}

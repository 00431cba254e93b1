// Activations vs the double-precision reference on every ISA path: sizes that exercise the
// vector tails, inputs across the whole useful range (tails of sigmoid/tanh/erf included),
// the kinks PyTorch defines, and bad arguments.
import { tensor } from '../../lib';
import {
  activationBackward,
  activationForward,
  activationNative,
  ActivationName,
} from '../../lib/kernels/activation';
import { Generator } from '../../lib/random';
import { describeEachIsa } from '../helpers';

const kinds = [
  'relu',
  'relu6',
  'leakyRelu',
  'sigmoid',
  'tanh',
  'silu',
  'hardswish',
  'hardsigmoid',
  'gelu',
  'geluTanh',
];

function inputs(n: number, seed: number): Float32Array {
  const g = new Generator(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = (g.uniform() * 2 - 1) * (i % 3 === 0 ? 20 : 4);
  // The kinks (0, +-3, 6) and tiny values, where the branch choice matters.
  const special = [
    0, -0, 6, -3, 3, 1e-8, -1e-8, 0.625, -0.625, 1.4142135, -1.4142135, 2.828427, -2.828427,
  ];
  for (let i = 0; i < Math.min(n, special.length); i++) x[i] = special[i];
  return x;
}

// Allowed error per element. Forward: 2e-6 relative (the vector exp/erf/tanh are < 1e-6, a few
// roundings on top) with a floor at the float subnormal range, which the kernels flush to 0.
// Backward: relative to |dx| + |dy|, because f' has roots (silu, gelu, hardswish) where the
// small result is a difference of O(1) terms. geluTanh: the float rounding of
// u = sqrt(2/pi)(x + 0.044715 x^3) moves sigmoid(2u) by |2u| times that rounding (PyTorch's
// own float evaluation does the same), so its tolerance grows with |2u|.
function tolerance(kind: string, x: number): number {
  if (kind !== 'geluTanh') return 2e-6;
  const u = 0.7978845608 * (x + 0.044715 * x * x * x);
  return 1e-6 * (2 + Math.abs(2 * u));
}

function check(kind: string, n: number, seed: number): void {
  const x = inputs(n, seed);
  const g = new Generator(seed + 1);
  const dy = new Float32Array(n).map(() => g.uniform() * 2 - 1);
  const y = new Float32Array(n),
    yRef = new Float32Array(n),
    dx = new Float32Array(n),
    dxRef = new Float32Array(n);
  activationNative.activationForward(kind, 0.03, n, x, y);
  activationNative.activationForwardReference(kind, 0.03, n, x, yRef);
  activationNative.activationBackward(kind, 0.03, n, x, dy, dx);
  activationNative.activationBackwardReference(kind, 0.03, n, x, dy, dxRef);
  for (let i = 0; i < n; i++) {
    const tol = tolerance(kind, x[i]);
    if (!(Math.abs(y[i] - yRef[i]) <= tol * Math.abs(yRef[i]) + 1e-30))
      throw new Error(`${kind} forward n=${n} x=${x[i]}: ${y[i]} vs ${yRef[i]}`);
    if (!(Math.abs(dx[i] - dxRef[i]) <= tol * (Math.abs(dxRef[i]) + Math.abs(dy[i])) + 1e-30))
      throw new Error(`${kind} backward n=${n} x=${x[i]}: ${dx[i]} vs ${dxRef[i]}`);
  }
}

describeEachIsa('activations', () => {
  for (const kind of kinds)
    test(`${kind} matches the reference`, () => {
      let seed = 1;
      for (const n of [1, 3, 7, 13, 17, 64, 100, 1000]) check(kind, n, seed++);
      check(kind, 70001, 99); // crosses the two-thread split
    });

  test('sigmoid and silu far out in the tails: accurate to -87, tiny and finite beyond, NaN kept', () => {
    // Repeated so that every value lands in whole vectors and in the scalar tail.
    const accurate = [-87, -80, -60, -40, -20, 20, 40, 60, 80, 87, 88, 90, 100, 1e4];
    const beyond = [-88.5, -90, -100, -1e4];
    const all = [...accurate, ...beyond, NaN];
    const x = new Float32Array(all.length * 5).map((_, i) => all[i % all.length]);
    const dy = new Float32Array(x.length).fill(1);
    for (const kind of ['sigmoid', 'silu']) {
      const y = new Float32Array(x.length),
        yRef = new Float32Array(x.length),
        dx = new Float32Array(x.length),
        dxRef = new Float32Array(x.length);
      activationNative.activationForward(kind, 0, x.length, x, y);
      activationNative.activationForwardReference(kind, 0, x.length, x, yRef);
      activationNative.activationBackward(kind, 0, x.length, x, dy, dx);
      activationNative.activationBackwardReference(kind, 0, x.length, x, dy, dxRef);
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        const where = `${kind}(${v})`;
        if (Number.isNaN(v)) {
          expect([where, y[i]]).toEqual([where, NaN]);
          expect([where, dx[i]]).toEqual([where, NaN]);
        } else if (accurate.includes(v)) {
          expect([where, Math.abs(y[i] - yRef[i]) <= 2e-6 * Math.abs(yRef[i])]).toEqual([
            where,
            true,
          ]);
          const dxOk = Math.abs(dx[i] - dxRef[i]) <= 2e-6 * (Math.abs(dxRef[i]) + 1);
          expect([where, dxOk]).toEqual([where, true]);
        } else {
          // Below sigmoid(-88) the float result stays tiny rather than exact: never NaN or inf.
          expect([where, Number.isFinite(y[i]) && Math.abs(y[i]) <= 1e-30]).toEqual([where, true]);
          expect([where, Number.isFinite(dx[i]) && Math.abs(dx[i]) <= 1e-30]).toEqual([
            where,
            true,
          ]);
        }
      }
    }
  });

  test('PyTorch values at the kinks', () => {
    const x = tensor([-3, 0, 3, 6, -1]);
    const ones = tensor([1, 1, 1, 1, 1]);
    const grad = (name: ActivationName) => Array.from(activationBackward(name, x, ones).data);
    expect(grad('relu')).toEqual([0, 0, 1, 1, 0]);
    expect(grad('relu6')).toEqual([0, 0, 1, 0, 0]);
    expect(
      Array.from(activationBackward('leakyRelu', x, ones, { negativeSlope: 0.5 }).data),
    ).toEqual([0.5, 0.5, 1, 1, 0.5]);
    const hardswish = grad('hardswish');
    expect(hardswish.slice(0, 4)).toEqual([-0.5, 0.5, 1.5, 1]);
    expect(hardswish[4]).toBeCloseTo(1 / 6, 6);
    const hardsigmoid = grad('hardsigmoid');
    [0, 1, 0, 0, 1].forEach((v, i) => expect(hardsigmoid[i]).toBeCloseTo(v / 6, 7));
    expect(Array.from(activationForward('relu6', x).data)).toEqual([0, 0, 3, 6, 0]);
    expect(activationForward('relu', tensor([NaN])).data[0]).toBeNaN();
  });

  test('gelu tanh approximation differs from the exact form, as in PyTorch', () => {
    const x = tensor([1]);
    // torch.nn.functional.gelu(torch.tensor(1.)) and approximate='tanh'
    expect(activationForward('gelu', x).data[0]).toBeCloseTo(0.8413447, 6);
    expect(activationForward('gelu', x, { approximate: 'tanh' }).data[0]).toBeCloseTo(0.841192, 6);
  });
});

describe('activations reject bad arguments without crashing', () => {
  const x = tensor([1, 2]);
  test.each([
    ['unknown name', () => activationForward('swish' as ActivationName, x), RangeError, /swish/],
    [
      'non-string name',
      () => activationForward(3 as unknown as ActivationName, x),
      TypeError,
      /activation/,
    ],
    [
      'bad approximate',
      () => activationForward('gelu', x, { approximate: 'fast' as 'tanh' }),
      RangeError,
      /fast/,
    ],
    [
      'infinite slope',
      () => activationForward('leakyRelu', x, { negativeSlope: Infinity }),
      RangeError,
      /negativeSlope/,
    ],
    ['dy shape', () => activationBackward('relu', x, tensor([1])), RangeError, /dy/],
    ['not a tensor', () => activationForward('relu', [1] as unknown as typeof x), TypeError, /x/],
    [
      'native unknown kind',
      () => activationNative.activationForward('nope', 0, 1, x.data, x.data),
      RangeError,
      /nope/,
    ],
    [
      'native short array',
      () => activationNative.activationForward('relu', 0, 5, x.data, x.data),
      RangeError,
      /holds 2/,
    ],
  ] as Array<[string, () => void, ErrorConstructor, RegExp]>)(
    '%s',
    (_name, call, type, message) => {
      // Native errors come from the addon's realm, not jest's: compare the constructor by name.
      expect(call).toThrow(message);
      try {
        call();
      } catch (error) {
        expect((error as Error).name).toBe(type.name);
        expect((error as Error).message).toMatch(/convkit\.activation/);
      }
    },
  );
  test('still healthy', () => {
    expect(Array.from(activationForward('relu', tensor([-1, 2])).data)).toEqual([0, 2]);
  });
});

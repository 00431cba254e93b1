// Gradient checks of pooling, broadcasting arithmetic, reductions and shape ops.
import { assertGradcheck } from '../../lib/autograd';
import * as F from '../../lib/ops';
import { distinctInput, randomInput } from './inputs';

describe('pooling', () => {
  const maxCases: Array<[string, number[], F.MaxPool2dOptions]> = [
    ['3x3/2 pad 1', [2, 7, 6, 3], { kernelSize: 3, stride: 2, padding: 1 }],
    ['2x2 ceilMode', [1, 5, 7, 2], { kernelSize: 2, ceilMode: true }],
    ['dilation 2', [1, 7, 7, 2], { kernelSize: 2, dilation: 2, stride: 1 }],
    ['non-square', [1, 6, 5, 3], { kernelSize: [3, 1], stride: [2, 1] }],
  ];
  test.each(maxCases)('maxPool2d %s', (name, shape, options) => {
    assertGradcheck((x) => F.maxPool2d(x, options), [distinctInput(shape, 1)], { name });
  });
  const avgCases: Array<[string, number[], F.AvgPool2dOptions]> = [
    ['3x3/2 pad 1 countIncludePad', [2, 7, 6, 3], { kernelSize: 3, stride: 2, padding: 1 }],
    [
      'pad 1 exclude pad, ceilMode',
      [1, 6, 5, 2],
      { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false, ceilMode: true },
    ],
    ['divisorOverride', [1, 4, 4, 2], { kernelSize: 2, divisorOverride: 3 }],
  ];
  test.each(avgCases)('avgPool2d %s', (name, shape, options) => {
    assertGradcheck((x) => F.avgPool2d(x, options), [randomInput(shape, 2)], { name });
  });
  test.each([[1], [[3, 2]], [[5, 7]]] as Array<[number | [number, number]]>)(
    'adaptiveAvgPool2d %p',
    (size) => {
      assertGradcheck((x) => F.adaptiveAvgPool2d(x, size), [randomInput([2, 7, 5, 3], 3)]);
    },
  );
  test('global average pool adding its gradient into the scale path’s (squeeze-excitation: x * sigmoid(pool(x)))', () => {
    // The multiply's backward runs first and makes x's gradient; the pool adds into it in place.
    assertGradcheck(
      (x) => F.mul(x, F.sigmoid(F.adaptiveAvgPool2d(x, 1))),
      [randomInput([2, 7, 5, 3], 5)],
    );
  });
  test('globalMaxPool2d', () => {
    assertGradcheck((x) => F.globalMaxPool2d(x), [distinctInput([2, 4, 3, 5], 4)]);
  });
});

describe('broadcasting arithmetic', () => {
  const shapes: Array<[string, number[], number[]]> = [
    ['same shape', [2, 3, 4], [2, 3, 4]],
    ['SE scale [N,H,W,C]*[N,1,1,C]', [2, 3, 4, 5], [2, 1, 1, 5]],
    ['row', [3, 4], [4]],
    ['column', [3, 4], [3, 1]],
    ['both sides broadcast', [3, 1, 4], [1, 5, 1]],
    ['scalar tensor', [2, 3], []],
  ];
  for (const op of ['add', 'sub', 'mul', 'div'] as const)
    test.each(shapes)(`${op} %s`, (name, aShape, bShape) => {
      const a = randomInput(aShape, 5);
      // div: keep the divisor away from 0.
      const b =
        op === 'div' ? randomInput(bShape, 6, { avoid: [0], margin: 0.5 }) : randomInput(bShape, 6);
      assertGradcheck((x, y) => F[op](x, y), [a, b], { name: `${op} ${name}` });
    });
  test('same-shape addends share one gradient (passed through, not copied)', () => {
    assertGradcheck((x) => F.add(x, x), [randomInput([2, 3], 8)], { name: 'x + x' });
    assertGradcheck(
      (x, y) => F.mul(F.add(x, y), F.sub(y, x)),
      [randomInput([2, 3], 9), randomInput([2, 3], 10)],
    );
    // A residual fork: the input reaches the sum directly and through a branch.
    assertGradcheck(
      (x) => F.add(F.add(F.mul(x, x), x), F.sub(x, F.mul(x, 2))),
      [randomInput([3, 2], 11)],
    );
  });
  test('number operands', () => {
    assertGradcheck((x) => F.div(F.sub(2, F.mul(x, 3)), 0.5), [randomInput([3, 2], 7)]);
  });
});

describe('reductions', () => {
  test.each([
    [undefined, false],
    [[0, 1, 2], false],
    [[0, 1, 2], true],
    [1, false],
    [-1, true],
  ] as Array<[number | number[] | undefined, boolean]>)(
    'sum and mean over %p keepdim %p',
    (axes, keepdim) => {
      const x = randomInput([2, 3, 4, 5], 8);
      assertGradcheck((t) => F.sum(t, axes, keepdim), [x], { name: 'sum' });
      assertGradcheck((t) => F.mean(t, axes, keepdim), [x], { name: 'mean' });
    },
  );
});

describe('shape ops', () => {
  test('cat along channels and along batch', () => {
    const a = randomInput([2, 3, 3, 4], 9);
    const b = randomInput([2, 3, 3, 2], 10);
    assertGradcheck((x, y) => F.cat([x, y], -1), [a, b], { name: 'cat C' });
    assertGradcheck(
      (x, y) => F.cat([x, y], 0),
      [randomInput([1, 2, 3], 11), randomInput([2, 2, 3], 12)],
      { name: 'cat N' },
    );
  });
  test('split into uneven sections, each used differently', () => {
    const x = randomInput([2, 3, 7], 13);
    assertGradcheck(
      (t) => {
        const [p, q, r] = F.split(t, [2, 4, 1], -1);
        return F.cat([F.mul(p, 2), q, F.mul(r, r)], -1);
      },
      [x],
      { name: 'split' },
    );
    assertGradcheck((t) => F.cat(F.split(t, 2, 1), 1), [randomInput([2, 5, 3], 14)], {
      name: 'split size',
    });
  });
  test('permute, pad, flatten', () => {
    assertGradcheck((t) => F.permute(t, [0, 3, 1, 2]), [randomInput([2, 3, 4, 5], 15)], {
      name: 'permute',
    });
    assertGradcheck(
      (t) =>
        F.pad(t, [
          [0, 0],
          [1, 2],
          [0, 1],
          [0, 0],
        ]),
      [randomInput([1, 3, 2, 2], 16)],
      { name: 'pad' },
    );
    assertGradcheck((t) => F.flatten(t), [randomInput([2, 3, 4, 5], 17)], { name: 'flatten' });
  });
});

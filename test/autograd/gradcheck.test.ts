// gradcheck must pass a right backward and catch a wrong one: a check that cannot fail
// proves nothing.
import { gradcheck, manualSeed, randn, Tensor, zeros } from '../../lib';
import { Node } from '../../lib/autograd';

// y = a * b * b, with a backward that can be perturbed on purpose.
function makeOp(perturb: number) {
  return function cubeLike(a: Tensor, b: Tensor): Tensor {
    const out = zeros(a.shape);
    for (let i = 0; i < out.size; i++) out.data[i] = a.data[i] * b.data[i] * b.data[i];
    return out.setGradFn(
      new Node('cubeLike', [a, b], (g) => {
        const ga = zeros(a.shape);
        const gb = zeros(b.shape);
        for (let i = 0; i < g.size; i++) {
          ga.data[i] = g.data[i] * b.data[i] * b.data[i];
          gb.data[i] = g.data[i] * 2 * a.data[i] * b.data[i];
        }
        gb.data[gb.size - 1] += perturb; // a deliberately wrong entry
        return [ga, gb];
      }),
    );
  };
}

function inputs(): Tensor[] {
  manualSeed(7);
  const a = randn([3, 5]);
  const b = randn([3, 5]);
  a.requiresGrad = true;
  b.requiresGrad = true;
  return [a, b];
}

test('passes a correct backward', () => {
  const result = gradcheck(makeOp(0), inputs());
  expect(result.ok).toBe(true);
  expect(result.worst).toBeLessThan(1);
});

test('catches a perturbed gradient and says where', () => {
  const result = gradcheck(makeOp(0.5), inputs(), { name: 'cubeLike' });
  expect(result.ok).toBe(false);
  expect(result.message).toMatch(/gradcheck cubeLike: input 1 \(shape \[3,5\]\)/);
  expect(result.message).toMatch(/at flat index 14/);
});

test('catches a small perturbation too', () => {
  expect(gradcheck(makeOp(0.05), inputs(), { directions: 4 }).ok).toBe(false);
});

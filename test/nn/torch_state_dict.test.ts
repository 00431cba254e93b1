// A state dict produced by PyTorch for a small conv net loads into the same convkit module
// (keys unchanged) and gives the same eval outputs (input transposed NCHW -> NHWC).
import * as path from 'path';
import { F, io, nn, noGrad } from '../../lib';
import { maxRelativeError } from '../helpers';

test('PyTorch weights load with strict keys and reproduce PyTorch outputs', () => {
  const { tensors, dtypes } = io.loadSafetensors(
    path.join(__dirname, '..', 'fixtures', 'torch_small_cnn.safetensors'),
  );
  const { input_nchw: input, expected_output: expected, ...state } = tensors;
  expect(dtypes['1.num_batches_tracked']).toBe('I64');
  const model = new nn.Sequential(
    new nn.Conv2d(3, 8, 3, { padding: 1 }),
    new nn.BatchNorm2d(8),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(8, 6, 3, { padding: 1, bias: false }),
    new nn.BatchNorm2d(6),
    new nn.ReLU(),
    new nn.Flatten(),
    new nn.Linear(6 * 4 * 4, 5),
  );
  const result = model.loadStateDict(state, { strict: true });
  expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
  expect(model.stateDict().get('1.num_batches_tracked')!.item()).toBe(3);
  model.eval();
  const y = noGrad(() => model.forward(F.permute(input, [0, 2, 3, 1])));
  expect(y.shape).toEqual([2, 5]);
  const { error } = maxRelativeError(y.data, expected.data);
  expect(error).toBeLessThan(1e-5);
});

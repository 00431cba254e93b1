// Parity with torchvision: for each model, export it from PyTorch with random weights
// (bench/parity/torch_export.py), load the state dict into the same-named convkit model with
// strict keys, and compare eval outputs and the gradients of sum(output * projection) with
// respect to the input and to every parameter.
//   node bench/parity/run.js [--size=N] [name ...]     (needs /usr/bin/python3 with torch)
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { F, io, models, noGrad, tidy } = require('../../dist');

const defaults = [
  'resnet18',
  'resnext50_32x4d',
  'wide_resnet50_2',
  'densenet121',
  'mobilenet_v2',
  'mobilenet_v3_large',
  'mobilenet_v3_small',
  'efficientnet_b0',
  'googlenet',
  'inception_v3',
  'vgg11_bn',
  'alexnet',
];

/**
 * ||a - b|| / ||b||: for gradients. Through many ReLUs, pre-activations within float32 rounding
 * of zero may take the other side of the kink in one library than in the other; that moves a
 * few gradient entries by their full size (a large max error) while the gradient as a whole
 * agrees (a small norm error).
 */
function relativeNormError(a, b) {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

/** max |a - b| / max |b|: for outputs. */
function relativeError(a, b) {
  let num = 0,
    den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-30);
}

function check(name, size, dir) {
  const file = path.join(dir, `${name}.safetensors`);
  execFileSync(
    '/usr/bin/python3',
    [path.join(__dirname, 'torch_export.py'), name, String(size), file],
    {
      env: { ...process.env, OMP_NUM_THREADS: '2' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const { tensors } = io.loadSafetensors(file);
  const state = Object.fromEntries(Object.entries(tensors).filter(([k]) => !k.startsWith('__')));
  const model = models.create(name);
  model.loadStateDict(state, { strict: true });
  model.eval();
  return tidy(() => {
    const x = F.permute(tensors.__input, [0, 2, 3, 1]);
    x.requiresGrad = true;
    const y = model.forward(x);
    const outputError = relativeError(y.data, tensors.__output.data);
    F.sum(F.mul(y, tensors.__projection)).backward();
    const gradInput = noGrad(() => F.permute(x.grad, [0, 3, 1, 2]));
    const inputGradError = relativeNormError(gradInput.data, tensors.__grad_input.data);
    let worstParam = 0,
      worstName = '';
    for (const [k, p] of model.namedParameters()) {
      const expected = tensors[`__grad.${k}`];
      if (!expected || !p.grad) continue;
      const e = relativeNormError(p.grad.data, expected.data);
      if (e > worstParam) [worstParam, worstName] = [e, k];
    }
    return {
      name,
      size,
      outputError,
      inputGradError,
      worstParamGradError: worstParam,
      worstParam: worstName,
    };
  });
}

function main() {
  const args = process.argv.slice(2);
  const sizeArg = args.find((a) => a.startsWith('--size='));
  const names = args.filter((a) => !a.startsWith('--'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convkit-parity-'));
  const rows = [];
  console.log(
    `${'model'.padEnd(22)} ${'size'.padStart(4)} ${'output'.padStart(9)} ${'dx'.padStart(9)} ${'worst dW'.padStart(9)}  (output: max |err| / max |value|; gradients: ||err|| / ||value||)`,
  );
  for (const name of names.length ? names : defaults) {
    const size = sizeArg ? Number(sizeArg.slice(7)) : name === 'inception_v3' ? 299 : 224;
    const r = check(name, size, dir);
    rows.push(r);
    const f = (v) => v.toExponential(2).padStart(9);
    console.log(
      `${name.padEnd(22)} ${String(size).padStart(4)} ${f(r.outputError)} ${f(r.inputGradError)} ${f(r.worstParamGradError)}  ${r.worstParam}`,
    );
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(__dirname, '..', 'results'), { recursive: true });
  fs.writeFileSync(
    path.join(__dirname, '..', 'results', `parity-${Date.now()}.json`),
    JSON.stringify(rows, null, 2),
  );
}

main();

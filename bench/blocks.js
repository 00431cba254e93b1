// The "FLOPs vs wall-clock per block" benchmark: every building block of the zoo, taken out of
// the real networks at the shapes where they use it (module names are torchvision's, so the
// PyTorch side picks the same module), forward and training step, batch 1 and a training
// batch. Prints a sorted table, writes JSON and a roofline chart (SVG) under bench/results/.
//   npm run bench -- blocks [--quick] [--no-torch]
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { F, models, nn, noGrad, profile, randn, tidy } = require('../dist');
const { measureMachine, timeMedian, writeResults, pct } = require('./common');
const { rooflineSvg } = require('./roofline');
const { conv2dParams, convNative } = require('../dist/kernels/conv');

// [model, module name, what it is, native input size, training batch]
const BLOCKS = [
  ['resnet18', 'layer1.0', 'ResNet-18 BasicBlock 64@56', 224, 16],
  ['resnet18', 'layer2.0', 'ResNet-18 BasicBlock 128@28 (downsample)', 224, 16],
  ['resnet18', 'layer4.1', 'ResNet-18 BasicBlock 512@7', 224, 16],
  ['resnet50', 'layer1.0', 'ResNet-50 Bottleneck 256@56', 224, 16],
  ['resnet50', 'layer3.1', 'ResNet-50 Bottleneck 1024@14', 224, 16],
  ['resnext50_32x4d', 'layer2.1', 'ResNeXt-50 Bottleneck g32 512@28', 224, 16],
  ['densenet121', 'features.denseblock2.denselayer1', 'DenseNet-121 dense layer @28', 224, 16],
  ['densenet121', 'features.transition1', 'DenseNet-121 transition 256@56', 224, 16],
  ['mobilenet_v1', 'features.2', 'MobileNetV1 depthwise-separable 64@112', 224, 16],
  ['mobilenet_v2', 'features.2', 'MobileNetV2 InvertedResidual 24@56 (t=6)', 224, 16],
  ['mobilenet_v2', 'features.14', 'MobileNetV2 InvertedResidual 160@7', 224, 16],
  ['mobilenet_v3_large', 'features.5', 'MobileNetV3 block with SE 40@28', 224, 16],
  ['efficientnet_b0', 'features.2.0', 'EfficientNet-B0 MBConv 24@56', 224, 16],
  ['efficientnet_b0', 'features.5.1', 'EfficientNet-B0 MBConv 112@14 (5x5)', 224, 16],
  ['googlenet', 'inception3a', 'GoogLeNet Inception 3a @28', 224, 16],
  ['inception_v3', 'Mixed_6b', 'Inception-v3 factorised 7x7 block @17', 299, 16],
  ['vgg16', 'features.2', 'VGG-16 conv 3x3 64@224', 224, 8],
  ['alexnet', 'features.0', 'AlexNet conv 11x11/4 stem', 224, 16],
  ['resnet18', 'conv1', 'ResNet stem conv 7x7/2', 224, 16],
];

function findModule(model, name) {
  return model.namedModules().find(([n]) => n === name)?.[1];
}

/** The input shapes a module sees inside its network at batch 1 (from a hooked forward). */
function inputShapes(modelName, moduleName, size) {
  const model = nn.init.skipInit(() => models.create(modelName));
  const target = findModule(model, moduleName);
  if (!target) throw new Error(`blocks: ${modelName} has no module ${moduleName}`);
  let shapes = null;
  const original = target.forward;
  target.forward = (...inputs) => {
    shapes ??= inputs.map((t) => [...t.shape]);
    return original.apply(target, inputs);
  };
  model.eval();
  tidy(() => {
    noGrad(() => model.forward(randn([1, size, size, 3])));
  });
  delete target.forward;
  // A dense layer is handed its block's whole feature buffer; on its own it takes the
  // concatenation of the channels before it (norm1's).
  if (target instanceof models.DenseLayer) shapes[0][3] = target.norm1.numFeatures;
  return { block: target, shapes };
}

// The kernel paths the block's convolutions take at this input (the native dispatch's own
// answer for the forward, e.g. winograd, implicit-gemm, stem-direct, grouped-rotate), found by
// running one forward with every Conv2d's input recorded.
function convPaths(block, shapes) {
  const kinds = new Set();
  const original = nn.Conv2d.prototype.forward;
  nn.Conv2d.prototype.forward = function (x) {
    const g = this.options.groups;
    if (g > 1 && g === this.inChannels && this.weight.shape[1] === 1) kinds.add('depthwise');
    else
      kinds.add(
        convNative.conv2dAlgorithm(conv2dParams(x.shape, this.weight.shape, this.options).params),
      );
    return original.call(this, x);
  };
  try {
    noGrad(() => tidy(() => void block.forward(...shapes.map((shape) => randn(shape)))));
  } finally {
    nn.Conv2d.prototype.forward = original;
  }
  return [...kinds].join('+') || 'none';
}

function benchBlock(block, shapes, batch, runs) {
  const batched = shapes.map((s) => [batch, ...s.slice(1)]);
  const flops = profile.summary(block, batched[0]).totals.flops;
  const params = block.parameters().reduce((n, p) => n + p.size, 0);
  const inputs = batched.map((s) => randn(s));
  block.eval();
  // The tidy callbacks return nothing: a returned tensor would survive tidy, and each run
  // would then allocate (and page-fault) a fresh output instead of reusing pooled memory.
  const fwd = timeMedian(
    () =>
      tidy(() => {
        noGrad(() => block.forward(...inputs));
      }),
    { runs },
  );
  const outSize = tidy(() => noGrad(() => block.forward(...inputs)).size);
  block.train();
  const train = timeMedian(
    () =>
      tidy(() => {
        const y = block.forward(...inputs);
        F.sum(y).backward();
      }),
    { runs },
  );
  block.zeroGrad();
  const bytes = 4 * (inputs.reduce((n, t) => n + t.size, 0) + outSize + params);
  return { flops, fwd, train, bytes };
}

function torchTimes(rows, quick) {
  try {
    const spec = rows.map((r) => ({
      model: r.model,
      module: r.module,
      shapes: r.shapesNchw,
      batch: r.batch,
    }));
    const out = execFileSync(
      '/usr/bin/python3',
      [path.join(__dirname, 'torch', 'blocks.py'), JSON.stringify(spec), quick ? '3' : '7'],
      {
        env: { ...process.env, OMP_NUM_THREADS: '2' },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 24,
      },
    );
    return JSON.parse(out.trim().split('\n').pop());
  } catch (error) {
    console.log(`(PyTorch side skipped: ${String(error.message).split('\n')[0]})`);
    return null;
  }
}

function main() {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const runs = quick ? 3 : 7;
  const machine = measureMachine();
  console.log(
    `${machine.cpu}: FMA peak ${machine.peakAll.toFixed(0)} GFLOP/s on ${machine.threads} threads (${machine.isa}), copy ${machine.copyGBs.toFixed(1)} GB/s`,
  );
  const rows = [];
  for (const [model, module, label, size, trainBatch] of BLOCKS) {
    const { block, shapes } = inputShapes(model, module, size);
    for (const batch of [1, trainBatch]) {
      const r = benchBlock(block, shapes, batch, runs);
      rows.push({
        label,
        model,
        module,
        batch,
        path: convPaths(
          block,
          shapes.map((s) => [batch, ...s.slice(1)]),
        ),
        shapesNchw: shapes.map((s) => [batch, s[3], s[1], s[2]]),
        ...r,
        fwdGflops: r.flops / r.fwd / 1e9,
        trainGflops: (3 * r.flops) / r.train / 1e9,
        intensity: r.flops / r.bytes,
      });
    }
  }
  const torch = args.includes('--no-torch') ? null : torchTimes(rows, quick);
  rows.forEach((r, i) => {
    if (torch && torch[i])
      Object.assign(r, {
        torchFwd: torch[i].fwd,
        torchTrain: torch[i].train,
        fwdRatio: torch[i].fwd / r.fwd,
        trainRatio: torch[i].train / r.train,
      });
  });
  const sorted = [...rows].sort((a, b) => b.train - a.train);
  console.log(
    `\n${'block'.padEnd(44)} ${'N'.padStart(3)} ${'GFLOP'.padStart(7)} ${'fwd ms'.padStart(8)} ${'GF/s'.padStart(6)} ${'%pk'.padStart(6)} ${'train ms'.padStart(9)} ${'GF/s'.padStart(6)} ${'%pk'.padStart(6)} ${'AI'.padStart(5)} ${'vs torch fwd/train'.padStart(18)}  path`,
  );
  for (const r of sorted) {
    const ratio = r.fwdRatio ? `${r.fwdRatio.toFixed(2)}x / ${r.trainRatio.toFixed(2)}x` : '-';
    console.log(
      `${r.label.padEnd(44)} ${String(r.batch).padStart(3)} ${(r.flops / 1e9).toFixed(3).padStart(7)} ${(r.fwd * 1e3).toFixed(2).padStart(8)} ${r.fwdGflops.toFixed(0).padStart(6)} ${pct(r.fwdGflops / machine.peakAll).padStart(6)} ${(r.train * 1e3).toFixed(2).padStart(9)} ${r.trainGflops.toFixed(0).padStart(6)} ${pct(r.trainGflops / machine.peakAll).padStart(6)} ${r.intensity.toFixed(0).padStart(5)} ${ratio.padStart(18)}  ${r.path}`,
    );
  }
  const results = path.join(__dirname, 'results');
  fs.mkdirSync(results, { recursive: true });
  const svg = path.join(results, 'blocks-roofline.svg');
  fs.writeFileSync(svg, rooflineSvg(rows, machine));
  console.log(`wrote ${path.relative(process.cwd(), svg)}`);
  writeResults('blocks', { machine, rows });
}

main();

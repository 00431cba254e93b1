// Parameters and FLOPs of the model zoo side by side: what the course's
// `count_parameters(model)` (sum of p.numel() for trainable p) and `thop.profile(model, ...)`
// print, for every registered model at its default input size, counted by profile.summary from
// one forward pass. Also the course's "Architecture Comparison" table next to the counts
// measured here.
//
//   node --expose-gc -r ts-node/register/transpile-only examples/zoo_table.ts   # ~1 min
//
// FLOPs here are 2 x MACs (one multiply-add = 2 FLOPs), counting conv and linear layers only,
// as thop does. Careful with names: thop's `profile` returns MACs although the course calls
// them FLOPs (ResNet-50's "4.1B FLOPs" is 4.1 G MACs = 8.2 GFLOPs). profile.summary's own
// `flops` (element-wise work included) is in the JSON as forwardFlopsAll.
// Models are built under nn.init.skipInit (no random initialisation: counts need shapes only).
// Writes examples/out/zoo_table/: zoo_table.md, zoo_table.json, params_vs_macs.svg.
import * as fs from 'fs';
import * as path from 'path';
import { models, nn, profile, train } from '../lib';
import { outDir, writeJson, writeSvg } from './common';

interface Row {
  name: string;
  family: string;
  input: [number, number, number];
  params: number;
  trainableParams: number;
  macs: number;
  flops: number;
  forwardFlopsAll: number;
}

/** The course table (seed text "Architecture Comparison"): its Params / FLOPs / Top-1 columns. */
const COURSE = [
  { model: 'AlexNet', name: 'alexnet', params: '61M', flops: '720M', top1: '63.3%' },
  { model: 'VGG-16', name: 'vgg16', params: '138M', flops: '15.5B', top1: '71.5%' },
  { model: 'ResNet-50', name: 'resnet50', params: '25.6M', flops: '4.1B', top1: '76.2%' },
  { model: 'ResNet-152', name: 'resnet152', params: '60.2M', flops: '11.6B', top1: '77.6%' },
  { model: 'DenseNet-201', name: 'densenet201', params: '20M', flops: '4.3B', top1: '77.4%' },
  { model: 'MobileNetV2', name: 'mobilenet_v2', params: '3.5M', flops: '300M', top1: '72.0%' },
  { model: 'EfficientNet-B0', name: 'efficientnet_b0', params: '5.3M', flops: '390M', top1: '77.1%' },
  { model: 'EfficientNet-B7', name: 'efficientnet_b7', params: '66M', flops: '37B', top1: '84.4%' },
];

const si = (v: number, digits = 2) =>
  v >= 1e9 ? `${(v / 1e9).toFixed(digits)} G` : v >= 1e6 ? `${(v / 1e6).toFixed(digits)} M` : `${(v / 1e3).toFixed(digits)} k`;
const gc = (globalThis as { gc?: () => void }).gc;

function main() {
  const dir = outDir('zoo_table');
  const t0 = performance.now();
  const rows: Row[] = [];
  for (const m of models.list()) {
    const model = nn.init.skipInit(() => models.create(m.name));
    const s = profile.summary(model, [1, m.inputSize, m.inputSize, m.inChannels]);
    rows.push({
      name: m.name,
      family: m.family,
      input: [m.inputSize, m.inputSize, m.inChannels],
      params: s.totals.params,
      trainableParams: s.totals.trainableParams,
      macs: s.totals.macs,
      flops: 2 * s.totals.macs,
      forwardFlopsAll: s.totals.flops,
    });
    gc?.(); // the big nets (VGG: 0.5 GB of weights each) are freed before the next is built
  }
  const seconds = (performance.now() - t0) / 1000;

  const md: string[] = [
    '# Model zoo: parameters and FLOPs',
    '',
    'Trainable parameters (`count_parameters`) and conv+linear MACs / FLOPs (thop\'s count; 1 MAC = 2 FLOPs) ' +
      'of one image at each model\'s default input size (H×W×C), default options (1000 classes; CIFAR nets 10).',
    '',
    '| model | family | parameters | MACs | FLOPs (2×MACs) | input |',
    '|---|---|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| \`${r.name}\` | ${r.family} | ${r.trainableParams.toLocaleString('en-US')} | ${si(r.macs)} | ${si(r.flops)} | ${r.input.join('×')} |`,
    ),
    '',
    '## The course table next to the counts',
    '',
    'Course columns are the seed text\'s (its "FLOPs" are thop MACs; top-1 is ImageNet, quoted, not measured here).',
    '',
    '| model | course params | measured params | course "FLOPs" | measured MACs | measured FLOPs | course top-1 | top-1 per M params |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...COURSE.map((c) => {
      const r = rows.find((x) => x.name === c.name)!;
      const perM = parseFloat(c.top1) / (r.trainableParams / 1e6);
      return `| ${c.model} (\`${c.name}\`) | ${c.params} | ${(r.trainableParams / 1e6).toFixed(1)} M | ${c.flops} | ${si(r.macs)} | ${si(r.flops)} | ${c.top1} | ${perM.toFixed(2)} |`;
    }),
    '',
  ];
  fs.writeFileSync(path.join(dir, 'zoo_table.md'), md.join('\n'));
  console.log(md.join('\n'));
  console.log(`wrote ${path.relative(process.cwd(), path.join(dir, 'zoo_table.md'))}`);
  writeJson(path.join(dir, 'zoo_table.json'), {
    note: 'params = trainable parameters; macs = conv+linear multiply-adds for one image; flops = 2 * macs; forwardFlopsAll = profile.summary flops incl. element-wise work',
    rows,
    course: COURSE.map((c) => {
      const r = rows.find((x) => x.name === c.name)!;
      return { ...c, measuredParams: r.trainableParams, measuredMacs: r.macs, measuredFlops: r.flops };
    }),
  });

  // Parameters vs MACs, log10 both, one line per family (models sorted by parameters). The
  // CIFAR families are at 32x32 inputs, the rest at 224-600: compare within a family.
  const families = [...new Set(rows.map((r) => r.family))];
  const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#000000', '#aec7e8'];
  writeSvg(
    path.join(dir, 'params_vs_macs.svg'),
    train.lineChartSvg(
      [
        {
          title: 'log10 MACs vs log10 parameters, one line per family',
          xLabel: 'log10 parameters',
          yLabel: 'log10 MACs',
          series: families.map((f, i) => ({
            name: f,
            color: palette[i % palette.length],
            points: rows
              .filter((r) => r.family === f)
              .sort((a, b) => a.params - b.params)
              .map((r): [number, number] => [Math.log10(r.trainableParams), Math.log10(r.macs)]),
          })),
        },
      ],
      { title: 'Model zoo: size vs compute at default input size', panelWidth: 900, panelHeight: 560 },
    ),
  );
  console.log(`${rows.length} models counted in ${seconds.toFixed(1)} s`);
}

main();

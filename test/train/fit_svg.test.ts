// The learning-curve SVG writer: nice ticks, escaping, a well-formed document with both panels,
// axes, ticks, legends and one polyline per series.
import { escapeXml, learningCurvesSvg, lineChartSvg, niceTicks } from '../../lib/train';
import { checkWellFormed } from './fit_svg_check';

test('niceTicks covers the range with 1-2-5 steps', () => {
  expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  expect(niceTicks(1, 10)).toEqual([0, 2, 4, 6, 8, 10]);
  expect(niceTicks(0.31, 2.27)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
  const flat = niceTicks(3, 3);
  expect(flat[0]).toBeLessThan(3);
  expect(flat[flat.length - 1]).toBeGreaterThan(3);
  for (const [lo, hi] of [
    [0.0012, 0.0049],
    [-7, 130],
    [1, 1e6],
  ]) {
    const t = niceTicks(lo, hi);
    expect(t[0]).toBeLessThanOrEqual(lo);
    expect(t[t.length - 1]).toBeGreaterThanOrEqual(hi);
    expect(t.length).toBeGreaterThanOrEqual(2);
    expect(t.length).toBeLessThanOrEqual(12);
  }
});

test('escapeXml escapes the five special characters', () => {
  expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
});

test('learning curves: two panels, axes, ticks, legends, train and val lines', () => {
  const points = [1, 2, 3, 4].map((epoch) => ({
    epoch,
    trainLoss: 2 / epoch,
    trainTop1: 0.5 + epoch / 10,
    valLoss: 2.2 / epoch,
    valTop1: 0.45 + epoch / 10,
  }));
  const svg = learningCurvesSvg(points, 'resnet20 <fashion-mnist> & co');
  checkWellFormed(svg);
  expect(svg.startsWith('<?xml')).toBe(true);
  expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
  expect(svg).toContain('resnet20 &lt;fashion-mnist&gt; &amp; co');
  expect((svg.match(/<g class="panel">/g) ?? []).length).toBe(2);
  expect((svg.match(/<polyline/g) ?? []).length).toBe(4);
  expect(svg).toContain('>Loss<');
  expect(svg).toContain('>Top-1 accuracy<');
  expect(svg).toContain('>epoch<');
  expect((svg.match(/>train</g) ?? []).length).toBe(2); // legend entries
  expect((svg.match(/>val</g) ?? []).length).toBe(2);
  expect(svg).toContain('>90%<'); // accuracy ticks as percentages
  // Every coordinate is a finite number.
  for (const [, v] of svg.matchAll(/ (?:x|y|x1|y1|x2|y2|cx|cy)="([^"]*)"/g))
    expect(Number.isFinite(Number(v))).toBe(true);
});

test('one epoch still draws (markers) and missing values break lines', () => {
  const single = learningCurvesSvg([{ epoch: 1, trainLoss: 1, trainTop1: 0.5 }]);
  checkWellFormed(single);
  expect(single).not.toContain('<polyline');
  expect((single.match(/<circle/g) ?? []).length).toBe(2);
  expect(single).not.toContain('>val<'); // no validation series without val data

  const gap = lineChartSvg([
    {
      title: 'gap',
      series: [
        {
          name: 's',
          points: [
            [0, 1],
            [1, 2],
            [2, NaN],
            [3, 1],
            [4, 0],
          ],
        },
      ],
    },
  ]);
  checkWellFormed(gap);
  expect((gap.match(/<polyline/g) ?? []).length).toBe(2);
  expect(gap).not.toContain('NaN');
});

test('checkWellFormed catches broken markup', () => {
  expect(() => checkWellFormed('<svg><g></svg>')).toThrow();
  expect(() => checkWellFormed('<svg>a & b</svg>')).toThrow();
  expect(() => checkWellFormed('<svg></svg><svg></svg>')).toThrow();
});

// A small SVG line-chart writer for learning curves: panels side by side, each with axes, tick
// labels at "nice" values (1, 2, 5 x 10^k), grid lines, a legend, and one polyline (with point
// markers, so a single epoch still shows) per series. No dependencies; opens in any browser.

export interface Series {
  name: string;
  /** [x, y] pairs; non-finite y values break the line. */
  points: Array<[number, number]>;
  color?: string;
  dashed?: boolean;
}

export interface Panel {
  title: string;
  xLabel?: string;
  yLabel?: string;
  series: Series[];
  /** Fixed y range (e.g. [0, 1] for accuracy); otherwise fitted to the data. */
  yRange?: [number, number];
  /** Formats y tick labels (e.g. as percentages). */
  formatY?: (v: number) => string;
  /** Corner of the legend inside the plot (default 'top-right'; rising curves want bottom). */
  legend?: 'top-right' | 'bottom-right';
}

export interface ChartOptions {
  /** Size of one panel in pixels (default 480 x 320). */
  panelWidth?: number;
  panelHeight?: number;
  title?: string;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

/** Escapes text for SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * About `count` round tick values covering [min, max] (steps of 1, 2 or 5 x 10^k), first tick
 * <= min and last >= max. A degenerate range is widened around its value.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max < min) [min, max] = [max, min];
  if (max - min < 1e-12 * Math.max(1, Math.abs(max))) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const first = Math.floor(min / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v < max + step * 0.999; v += step) ticks.push(roundTo(v, step));
  if (ticks.length < 2) ticks.push(roundTo(first + step, step));
  return ticks;
}

/** Removes float noise (0.30000000000000004) by rounding to the step's decimals. */
function roundTo(v: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(v.toFixed(Math.min(decimals, 12)));
}

function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(6)));
}

const fmt = (v: number) => (Math.round(v * 100) / 100).toString();

function renderPanel(panel: Panel, ox: number, oy: number, w: number, h: number): string[] {
  const margin = { left: 60, right: 16, top: 30, bottom: 44 };
  const px = ox + margin.left;
  const py = oy + margin.top;
  const pw = w - margin.left - margin.right;
  const ph = h - margin.top - margin.bottom;
  const all = panel.series.flatMap((s) => s.points).filter(([x, y]) => isFinite(x) && isFinite(y));
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const xTicks = niceTicks(xs.length ? Math.min(...xs) : 0, xs.length ? Math.max(...xs) : 1);
  const yTicks = panel.yRange
    ? niceTicks(panel.yRange[0], panel.yRange[1])
    : niceTicks(ys.length ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1);
  const [x0, x1] = [xTicks[0], xTicks[xTicks.length - 1]];
  const [y0, y1] = [yTicks[0], yTicks[yTicks.length - 1]];
  const sx = (x: number) => px + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => py + ph - ((y - y0) / (y1 - y0)) * ph;
  const formatY = panel.formatY ?? formatTick;
  const out: string[] = [];
  out.push(`<g class="panel">`);
  out.push(
    `<text x="${fmt(px + pw / 2)}" y="${fmt(oy + 18)}" text-anchor="middle" font-weight="bold">${escapeXml(panel.title)}</text>`,
  );
  for (const t of yTicks) {
    const y = fmt(sy(t));
    out.push(`<line x1="${fmt(px)}" y1="${y}" x2="${fmt(px + pw)}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(
      `<text x="${fmt(px - 6)}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(formatY(t))}</text>`,
    );
  }
  for (const t of xTicks) {
    const x = fmt(sx(t));
    out.push(
      `<line x1="${x}" y1="${fmt(py + ph)}" x2="${x}" y2="${fmt(py + ph + 5)}" stroke="#333"/>`,
    );
    out.push(
      `<text x="${x}" y="${fmt(py + ph + 18)}" text-anchor="middle">${escapeXml(formatTick(t))}</text>`,
    );
  }
  // Axes.
  out.push(
    `<path d="M${fmt(px)},${fmt(py)} V${fmt(py + ph)} H${fmt(px + pw)}" fill="none" stroke="#333"/>`,
  );
  if (panel.xLabel)
    out.push(
      `<text x="${fmt(px + pw / 2)}" y="${fmt(py + ph + 36)}" text-anchor="middle">${escapeXml(panel.xLabel)}</text>`,
    );
  if (panel.yLabel) {
    const cx = fmt(ox + 14);
    const cy = fmt(py + ph / 2);
    out.push(
      `<text x="${cx}" y="${cy}" text-anchor="middle" transform="rotate(-90 ${cx} ${cy})">${escapeXml(panel.yLabel)}</text>`,
    );
  }
  panel.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    // Non-finite values split the line into runs.
    const runs: Array<Array<[number, number]>> = [[]];
    for (const [x, y] of s.points) {
      if (isFinite(x) && isFinite(y)) runs[runs.length - 1].push([x, y]);
      else if (runs[runs.length - 1].length) runs.push([]);
    }
    for (const run of runs.filter((r) => r.length > 1))
      out.push(
        `<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${run
          .map(([x, y]) => `${fmt(sx(x))},${fmt(sy(y))}`)
          .join(' ')}"/>`,
      );
    for (const [x, y] of runs.flat())
      out.push(`<circle cx="${fmt(sx(x))}" cy="${fmt(sy(y))}" r="2.5" fill="${color}"/>`);
    // Legend, in a corner inside the plot area, on a light box so lines under it stay legible.
    const rows = panel.series.length;
    const top = panel.legend === 'bottom-right' ? py + ph - 12 - rows * 16 : py + 4;
    const lx = px + pw - 110;
    const ly = top + 10 + i * 16;
    if (i === 0)
      out.push(
        `<rect x="${fmt(lx - 6)}" y="${fmt(top)}" width="112" height="${rows * 16 + 4}" fill="white" fill-opacity="0.85" stroke="#ccc"/>`,
      );
    out.push(
      `<line x1="${fmt(lx)}" y1="${fmt(ly)}" x2="${fmt(lx + 20)}" y2="${fmt(ly)}" stroke="${color}" stroke-width="2"${dash}/>`,
    );
    out.push(
      `<text x="${fmt(lx + 26)}" y="${fmt(ly)}" dominant-baseline="middle">${escapeXml(s.name)}</text>`,
    );
  });
  out.push(`</g>`);
  return out;
}

/** An SVG document with the panels side by side. */
export function lineChartSvg(panels: Panel[], options: ChartOptions = {}): string {
  const w = options.panelWidth ?? 480;
  const h = options.panelHeight ?? 320;
  const titleHeight = options.title ? 28 : 0;
  const width = w * Math.max(1, panels.length);
  const height = h + titleHeight;
  const out: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  if (options.title)
    out.push(
      `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>`,
    );
  panels.forEach((p, i) => out.push(...renderPanel(p, i * w, titleHeight, w, h)));
  out.push(`</svg>`, '');
  return out.join('\n');
}

/** One epoch's numbers as the curves need them. */
export interface CurvePoint {
  epoch: number;
  trainLoss: number;
  trainTop1: number;
  valLoss?: number;
  valTop1?: number;
}

/** Train / val loss (left) and top-1 accuracy (right) per epoch. */
export function learningCurvesSvg(points: CurvePoint[], title?: string): string {
  const series = (key: keyof CurvePoint): Array<[number, number]> =>
    points.map((p) => [p.epoch, p[key] ?? NaN]);
  const hasVal = points.some((p) => p.valLoss !== undefined);
  const percent = (v: number) => `${Number((v * 100).toPrecision(4))}%`;
  return lineChartSvg(
    [
      {
        title: 'Loss',
        xLabel: 'epoch',
        yLabel: 'loss',
        series: [
          { name: 'train', points: series('trainLoss') },
          ...(hasVal ? [{ name: 'val', points: series('valLoss'), dashed: true }] : []),
        ],
      },
      {
        title: 'Top-1 accuracy',
        xLabel: 'epoch',
        legend: 'bottom-right',
        yLabel: 'accuracy',
        formatY: percent,
        series: [
          { name: 'train', points: series('trainTop1') },
          ...(hasVal ? [{ name: 'val', points: series('valTop1'), dashed: true }] : []),
        ],
      },
    ],
    { title },
  );
}

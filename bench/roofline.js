// A roofline chart as a self-contained SVG: arithmetic intensity (FLOP/byte) against achieved
// GFLOP/s on log-log axes, with the measured compute peak and memory bandwidth as the roof;
// one point per block and mode (forward, training step), labelled.
'use strict';

const W = 900,
  H = 560,
  L = 70,
  R = 20,
  T = 40,
  B = 60;

function escapeXml(s) {
  return String(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function rooflineSvg(rows, machine) {
  const xMin = 0.1,
    xMax = 1000,
    yMin = 0.5,
    yMax = Math.pow(10, Math.ceil(Math.log10(machine.peakAll * 1.5)));
  const x = (v) =>
    L + ((Math.log10(v) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * (W - L - R);
  const y = (v) =>
    H -
    B -
    ((Math.log10(v) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * (H - T - B);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">Roofline: ${escapeXml(machine.cpu)}, ${machine.threads} threads (${machine.isa})</text>`,
  ];
  for (let e = Math.log10(xMin); e <= Math.log10(xMax); e++) {
    const v = Math.pow(10, e);
    parts.push(
      `<line x1="${x(v)}" y1="${T}" x2="${x(v)}" y2="${H - B}" stroke="#eee"/><text x="${x(v)}" y="${H - B + 16}" text-anchor="middle">${v}</text>`,
    );
  }
  for (let e = Math.log10(yMin) + 0.30103; e <= Math.log10(yMax) + 1e-9; e++) {
    const v = Math.round(Math.pow(10, e));
    parts.push(
      `<line x1="${L}" y1="${y(v)}" x2="${W - R}" y2="${y(v)}" stroke="#eee"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`,
    );
  }
  parts.push(
    `<text x="${W / 2}" y="${H - 15}" text-anchor="middle">arithmetic intensity (FLOP per byte moved, log)</text>`,
    `<text x="18" y="${H / 2}" text-anchor="middle" transform="rotate(-90 18 ${H / 2})">achieved GFLOP/s (log)</text>`,
  );
  // The roof: bandwidth x intensity until the compute peak.
  const ridge = machine.peakAll / machine.copyGBs;
  parts.push(
    `<polyline fill="none" stroke="#d62728" stroke-width="2" points="${x(xMin)},${y(Math.max(yMin, machine.copyGBs * xMin))} ${x(ridge)},${y(machine.peakAll)} ${x(xMax)},${y(machine.peakAll)}"/>`,
    `<text x="${x(ridge) + 8}" y="${y(machine.peakAll) - 6}" fill="#d62728">FMA peak ${machine.peakAll.toFixed(0)} GFLOP/s</text>`,
    `<text x="${x(ridge / 8)}" y="${y((machine.copyGBs * ridge) / 8) - 8}" fill="#d62728" transform="rotate(-28 ${x(ridge / 8)} ${y((machine.copyGBs * ridge) / 8) - 8})">copy ${machine.copyGBs.toFixed(0)} GB/s</text>`,
  );
  for (const r of rows) {
    for (const [mode, g, color] of [
      ['fwd', r.fwdGflops, '#1f77b4'],
      ['train', r.trainGflops, '#2ca02c'],
    ]) {
      if (!(g > 0)) continue;
      const cx = x(Math.min(xMax, Math.max(xMin, r.intensity))),
        cy = y(Math.min(yMax, Math.max(yMin, g)));
      parts.push(
        `<circle cx="${cx}" cy="${cy}" r="${r.batch === 1 ? 3 : 5}" fill="${color}" fill-opacity="0.7"><title>${escapeXml(`${r.label} N=${r.batch} ${mode}: ${g.toFixed(1)} GFLOP/s`)}</title></circle>`,
      );
    }
  }
  const ly = H - B - 40; // legend in the empty lower right
  parts.push(
    `<circle cx="${W - 260}" cy="${ly}" r="5" fill="#1f77b4"/><text x="${W - 250}" y="${ly + 4}">forward</text>`,
    `<circle cx="${W - 180}" cy="${ly}" r="5" fill="#2ca02c"/><text x="${W - 170}" y="${ly + 4}">training step</text>`,
    `<text x="${W - 260}" y="${ly + 22}">small dots: batch 1; large: training batch</text>`,
    '</svg>',
  );
  return parts.join('\n');
}

module.exports = { rooflineSvg };

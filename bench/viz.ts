// ECG chart cost: SVG size and render time of a 10 s, 500 Hz, 12-lead ECG per
// layout, with the min/max-per-pixel-column decimation and without (`exact`),
// with all overlays on, and PNG rasterisation time (resvg) at scale 1 and 2.
// No peer: no JavaScript ECG-paper renderer to compare with; the `exact` rows
// are the baseline the decimation is measured against.
// Run: npm run build && node --expose-gc dist/bench/viz.js
import { renderEcgSvg, svgToPng, synthesizeEcg, type EcgChartOptions, type EcgOverlays } from '../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time<T>(f: () => T, reps: number): { ms: number; out: T } {
  let out = f(); // warm-up
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    gc();
    const t0 = performance.now();
    out = f();
    ts.push(performance.now() - t0);
  }
  return { ms: median(ts), out };
}

const ecg = synthesizeEcg({ fs: 500, seed: 1, durationS: 10 });
const n = ecg.nSamples;
const labels = new Int32Array(n).map((_, i) => Math.floor(i / 60) % 6);
const overlays: EcgOverlays = {
  waves: { source: 'synthetic', waves: ecg.waves! },
  clusters: ['block2', 'block3', 'block4'].map((block) => ({ block, labels, k: 6 })),
  entropy: [{ block: 'block3', values: new Float32Array(n).map((_, i) => 0.5 + 0.5 * Math.sin(i / 40)) }],
  attribution: { method: 'ig', values: new Float32Array(12 * n).map((_, i) => Math.sin(i / 37)), leads: 12 },
};

const cases: [string, EcgChartOptions][] = [
  ['3x4+II', { layout: '3x4+II' }],
  ['3x4+II exact', { layout: '3x4+II', exact: true }],
  ['12x1', { layout: '12x1' }],
  ['12x1 exact', { layout: '12x1', exact: true }],
  ['1x1 (II)', { layout: '1x1' }],
  ['3x4+II + all overlays', { layout: '3x4+II', overlays }],
  ['12x1 + all overlays', { layout: '12x1', overlays }],
];

console.log(`ECG chart, 10 s x 12 leads at 500 Hz (${12 * n} samples), 4 px/mm; median of 5 runs`);
console.log(`${'chart'.padEnd(24)} ${'SVG KB'.padStart(8)} ${'render ms'.padStart(10)} ${'PNG x1 ms'.padStart(10)} ${'PNG x2 ms'.padStart(10)} ${'PNG x2 KB'.padStart(10)}`);
for (const [name, opts] of cases) {
  const svg = time(() => renderEcgSvg(ecg, opts), 5);
  const png1 = time(() => svgToPng(svg.out), 3);
  const png2 = time(() => svgToPng(svg.out, { scale: 2 }), 3);
  console.log(`${name.padEnd(24)} ${(svg.out.length / 1024).toFixed(0).padStart(8)} ${svg.ms.toFixed(1).padStart(10)} ${png1.ms.toFixed(0).padStart(10)} ${png2.ms.toFixed(0).padStart(10)} ${(png2.out.length / 1024).toFixed(0).padStart(10)}`);
}

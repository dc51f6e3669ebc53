// Example charts to look at (not a benchmark): writes to OUTDIR
//   ludb-1-3x4.png        LUDB record 1, 3x4 print with the cardiologists' waves
//   synth-overlays.png    a synthetic ECG (one lead) with MOCK TLC cluster bands
//                         for three blocks (cluster = ground-truth wave under the
//                         sample, shifted per block), a mock entropy trace that
//                         peaks at wave boundaries, and a mock signed attribution
//   synth-12x1-trace.png  the same overlays on 12 stacked leads, attribution as a
//                         highlighter under the trace, block 3 tinting the rows
// Run: npm run build && node dist/bench/_viz-example.js OUTDIR [LUDB_DIR]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset, renderEcgSvg, svgToPng, synthesizeEcg, type ClusterBands, type EcgOverlays, type EntropyTrace } from '../src/index.js';

const [outDir = '/tmp/ecgx-viz', ludbDir = new URL('../../../shared/data/ludb', import.meta.url).pathname] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });
const write = (name: string, svg: string): void => {
  writeFileSync(join(outDir, name), svgToPng(svg, { scale: 2 }));
  console.log(`${join(outDir, name)}  (SVG ${(svg.length / 1024).toFixed(0)} KB)`);
};

const ludb = await (await openDataset(ludbDir)).load('1');
write('ludb-1-3x4.png', renderEcgSvg(ludb, { layout: '3x4+II', title: 'LUDB 1', overlays: { waves: { source: 'LUDB annotations', waves: ludb.waves! } } }));

const ecg = synthesizeEcg({ fs: 500, seed: 3, durationS: 10 });
const n = ecg.nSamples;
const waveId = { P: 1, QRS: 2, T: 3 } as const;
const clusters: ClusterBands[] = [];
const entropy: EntropyTrace[] = [];
for (const [block, shift] of [['block2', 0], ['block3', 15], ['block4', 30]] as const) {
  const labels = new Int32Array(n);
  const ent = new Float32Array(n).fill(0.1);
  for (const w of ecg.waves!['*']!) {
    for (let i = w.onset + shift; i <= w.offset + shift && i < n; i++) labels[i] = waveId[w.wave];
    for (const e of [w.onset + shift, w.offset + shift]) {
      for (let i = Math.max(0, e - 20); i < Math.min(n, e + 20); i++) ent[i] = Math.max(ent[i]!, 0.9 - Math.abs(i - e) / 25);
    }
  }
  clusters.push({ block, labels, k: 4, names: ['other', 'P', 'QRS', 'T'] });
  entropy.push({ block, values: ent });
}
// Mock signed attribution: the signal's slope over +-60 ms, per lead.
const values = new Float32Array(ecg.signal.length);
for (let l = 0; l < ecg.leads.length; l++) {
  for (let i = 30; i < n - 30; i++) {
    let s = 0;
    for (let k = 1; k <= 30; k++) s += ecg.signal[l * n + i + k]! - ecg.signal[l * n + i - k]!;
    values[l * n + i] = s;
  }
}
const overlays: EcgOverlays = { clusters, entropy: [entropy[1]!], attribution: { method: 'slope (mock)', values, leads: ecg.leads.length } };
write('synth-overlays.png', renderEcgSvg(ecg, { layout: '1x1', lead: 'V2', title: 'synthetic, mock TLC + attribution', overlays }));
write('synth-12x1-trace.png', renderEcgSvg(ecg, {
  layout: '12x1', title: 'synthetic, attribution as highlighter',
  overlays: { clusters: [clusters[1]!], clusterPlacement: 'behind', entropy, attribution: { ...overlays.attribution!, style: 'trace' }, waves: { source: 'synthetic ground truth', waves: ecg.waves! } },
}));

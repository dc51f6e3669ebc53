// Synthetic ECG speed and memory: records per second of synthesizeDatabase
// (new patients, all noise and device effects, 10 s x 12 leads) for PTB-XL at
// 100 and 500 Hz and CODE-15% at 400 Hz; the split between drawing a patient
// (criteria-checked beat model) and rendering one more ECG of a known
// patient; and heap growth while streaming many records (should stay flat).
// Records/s by wall clock and by this process's CPU time (steadier when other
// work shares the cores). Peer: neurokit2's ecg_simulate (ecgsyn, one lead)
// when `/usr/bin/python3 -c 'import neurokit2'` works; otherwise 'n/a'.
// Run: npm run build && node --expose-gc dist/bench/synth.js [nStream]
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { resolveCohort, synthesizeDatabase, synthesizeEcg, synthesizePatient, type SynthDatabaseOptions } from '../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function timed(f: () => number): { n: number; wall: number; cpu: number } {
  gc();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const n = f();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { n, wall, cpu: (c.user + c.system) / 1e6 };
}

function row(name: string, r: { n: number; wall: number; cpu: number }, unit = 'ECG'): string {
  return `${name.padEnd(44)} ${String(r.n).padStart(6)} ${(r.n / r.wall).toFixed(1).padStart(10)} ${(r.n / r.cpu).toFixed(1).padStart(10)}  ${unit}/s`;
}

function neurokitPeer(): string {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import neurokit2'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'n/a (neurokit2 not installed)';
  const script = `
import time, neurokit2 as nk
nk.ecg_simulate(duration=10, sampling_rate=500, method='ecgsyn', random_state=0)
t=time.perf_counter()
for i in range(5): nk.ecg_simulate(duration=10, sampling_rate=500, method='ecgsyn', random_state=i)
print(5/(time.perf_counter()-t))`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
  return r.status === 0 ? `${Number(r.stdout.trim()).toFixed(2)} ECG/s (ecgsyn, 1 lead, 500 Hz)` : `failed: ${r.stderr.trim().split('\n').pop()}`;
}

function main(): void {
  const nStream = Number(process.argv[2] ?? 3000);
  console.log(`synth bench: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`${'case'.padEnd(44)} ${'n'.padStart(6)} ${'wall'.padStart(10)} ${'cpu'.padStart(10)}`);
  // Warm-up, so that the first case is not timed while the JIT compiles.
  for (const _ of synthesizeDatabase({ n: 100, fs: 500, seed: 9, layout: 'ptbxl' }));
  const dbs: [string, SynthDatabaseOptions][] = [
    ['database ptbxl 100 Hz', { n: 300, fs: 100, seed: 1, layout: 'ptbxl' }],
    ['database ptbxl 500 Hz', { n: 300, fs: 500, seed: 1, layout: 'ptbxl' }],
    ['database code15 400 Hz', { n: 300, seed: 1, layout: 'code15' }],
  ];
  for (const [name, opts] of dbs) {
    console.log(row(name, timed(() => { let k = 0; for (const _ of synthesizeDatabase(opts)) k++; return k; })));
  }
  const cohort = resolveCohort('ptbxl');
  console.log(row('synthesizePatient (criteria-checked model)', timed(() => { for (let s = 0; s < 300; s++) synthesizePatient({ seed: s, cohort }); return 300; }), 'patient'));
  const patient = synthesizePatient({ seed: 1, cohort });
  for (const fs of [100, 500]) {
    console.log(row(`synthesizeEcg, known patient, ${fs} Hz`, timed(() => { for (let s = 0; s < 300; s++) synthesizeEcg({ fs, seed: s, patient, cohort }); return 300; })));
  }
  // Streaming memory: heap after 10% of the records vs at the end.
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  let heapEarly = 0, k = 0;
  const t = timed(() => {
    for (const _ of synthesizeDatabase({ n: nStream, fs: 100, seed: 2, layout: 'ptbxl' })) {
      if (++k === Math.floor(nStream / 10)) { gc(); heapEarly = process.memoryUsage().heapUsed; }
    }
    return k;
  });
  gc();
  const heapEnd = process.memoryUsage().heapUsed;
  console.log(row(`stream ${nStream} records, ptbxl 100 Hz`, t));
  console.log(`heap: start ${(heap0 / 2 ** 20).toFixed(1)} MiB, after ${Math.floor(nStream / 10)} records ${(heapEarly / 2 ** 20).toFixed(1)} MiB, after ${nStream} ${(heapEnd / 2 ** 20).toFixed(1)} MiB`);
  console.log(`peer: neurokit2 ecg_simulate: ${neurokitPeer()}`);
}

main();

// WFDB reading speed.
//  1. All 200 LUDB records: headers, signals (format 16, checksums verified) and
//     the 2,400 per-lead annotation files; seconds per pass and records/s.
//  2. Decoding throughput (MB of signal file per second) for formats 16 and 212:
//     the bare decoder on a 48 MB synthetic buffer, and readRecord end to end
//     (file read, decode, checksums, mV conversion) on a synthetic 12-lead record.
// Peer: the wfdb Python package (/usr/bin/python3 -c 'import wfdb'), timed in
// the same run on the same files; 'n/a' when it is not installed.
// Run: npm run build && node --expose-gc dist/bench/wfdb-read.js
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { wfdbFormats, makeEcg, readAnnotations, readHeader, readRecord, STANDARD_LEADS, writeRecord } from '../src/index.js';
import { LUDB_DIR } from '../test/data-paths.js';
import { best } from './_timing.js';

const LUDB = join(LUDB_DIR, 'data');
const EXTS = ['i', 'ii', 'iii', 'avr', 'avl', 'avf', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6'];


const rows: string[][] = [];
const row = (...cells: string[]): void => void rows.push(cells);

// 1. LUDB
const ids = Array.from({ length: 200 }, (_, i) => i + 1);
const tHeaders = best(() => ids.forEach((i) => readHeader(`${LUDB}/${i}`)));
const tSignals = best(() => ids.forEach((i) => readRecord(`${LUDB}/${i}`)));
const tAnns = best(() => ids.forEach((i) => EXTS.forEach((e) => readAnnotations(`${LUDB}/${i}`, e))));
const tAll = best(() =>
  ids.forEach((i) => {
    readRecord(`${LUDB}/${i}`);
    EXTS.forEach((e) => readAnnotations(`${LUDB}/${i}`, e));
  }),
);

// 2. Synthetic decode throughput.
const SYN_SAMPLES = 24 * 2 ** 20; // 24 Mi samples: 48 MB in format 16, 36 MB in 212
const digital = new Int32Array(SYN_SAMPLES);
let seed = 1;
for (let i = 0; i < SYN_SAMPLES; i++) {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  digital[i] = (seed >>> 20) - 2048 + 1; // -2047..2048 -> in 212's range after clamping below
  if (digital[i]! > 2047) digital[i] = 2047;
}
const out = new Int32Array(SYN_SAMPLES);
const decodeMBs: Record<number, { wall: number; cpu: number }> = {};
for (const format of [16, 212] as const) {
  const bytes = wfdbFormats.encodeSamples(format, digital);
  const t = best(() => wfdbFormats.decodeSamples(format, bytes, SYN_SAMPLES, out), 3);
  decodeMBs[format] = { wall: bytes.length / 1e6 / t.wall, cpu: bytes.length / 1e6 / t.cpu };
}

// Synthetic record, end to end.
const dir = mkdtempSync(join(tmpdir(), 'ecgx-bench-wfdb-'));
const N = 500 * 600; // 10 minutes at 500 Hz, 12 leads
const signal = new Float32Array(12 * N);
for (let i = 0; i < signal.length; i++) signal[i] = Math.sin(i * 0.01) * 1.5 + ((i * 7919) % 101) / 1000;
const ecg = makeEcg({ signal, fs: 500, leads: STANDARD_LEADS, meta: { recordId: 'syn' } });
const recordMBs: Record<number, { wall: number; cpu: number }> = {};
for (const format of [16, 212] as const) {
  writeRecord(dir, `syn${format}`, ecg, { format, gain: 1000 });
  const size = statSync(join(dir, `syn${format}.dat`)).size;
  const t = best(() => readRecord(join(dir, `syn${format}`)), 3);
  recordMBs[format] = { wall: size / 1e6 / t.wall, cpu: size / 1e6 / t.cpu };
}

// Peer: wfdb-python on the same files, if installed.
const PY = `
import sys, time, wfdb
ludb, syn = sys.argv[1], sys.argv[2]
exts = ['i','ii','iii','avr','avl','avf','v1','v2','v3','v4','v5','v6']
def best(f, reps=3):
    f(); t = 1e9
    for _ in range(reps):
        t0 = time.perf_counter(); f(); t = min(t, time.perf_counter() - t0)
    return t
def rec():
    for i in range(1, 201): wfdb.rdrecord(f'{ludb}/{i}')
def ann():
    for i in range(1, 201):
        for e in exts: wfdb.rdann(f'{ludb}/{i}', e)
def both(): rec(); ann()
print('signals', best(rec)); print('anns', best(ann)); print('all', best(both))
for fmt in (16, 212):
    import os
    size = os.path.getsize(f'{syn}/syn{fmt}.dat')
    print(f'rec{fmt}', size / 1e6 / best(lambda: wfdb.rdrecord(f'{syn}/syn{fmt}')))
`;
const peer: Record<string, number> = {};
const hasPy = spawnSync('/usr/bin/python3', ['-c', 'import wfdb'], { encoding: 'utf8' }).status === 0;
if (hasPy) {
  const r = spawnSync('/usr/bin/python3', ['-c', PY, LUDB, dir], { encoding: 'utf8', maxBuffer: 1 << 20 });
  for (const line of r.stdout.split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v) peer[k] = Number(v);
  }
}
rmSync(dir, { recursive: true, force: true });

const fmtPeer = (k: string, ours: number, higherIsBetter: boolean, digits = 2): [string, string] => {
  const p = peer[k];
  if (p === undefined) return ['n/a', 'n/a'];
  return [p.toFixed(digits), (higherIsBetter ? ours / p : p / ours).toFixed(2) + 'x'];
};
row('task', 'ecgx wall', 'ecgx CPU', 'unit', 'wfdb-python wall', 'ecgx speed-up (wall)');
const secs = (name: string, t: { wall: number; cpu: number }, key?: string): void =>
  row(name, t.wall.toFixed(3), t.cpu.toFixed(3), 's', ...(key ? fmtPeer(key, t.wall, false, 3) : ['n/a', 'n/a']));
secs('LUDB 200 headers', tHeaders);
secs('LUDB 200 records (signals, checksums)', tSignals, 'signals');
secs('LUDB 2,400 annotation files', tAnns, 'anns');
secs('LUDB all (records + annotations)', tAll, 'all');
row('LUDB records/s (records + annotations)', (200 / tAll.wall).toFixed(0), (200 / tAll.cpu).toFixed(0), 'rec/s', peer['all'] ? (200 / peer['all']).toFixed(0) : 'n/a', peer['all'] ? (peer['all'] / tAll.wall).toFixed(2) + 'x' : 'n/a');
const mbs = (name: string, r: { wall: number; cpu: number }, key?: string): void =>
  row(name, r.wall.toFixed(0), r.cpu.toFixed(0), 'MB/s', ...(key ? fmtPeer(key, r.wall, true, 0) : ['n/a', 'n/a']));
mbs('decode format 16 (48 MB buffer)', decodeMBs[16]!);
mbs('decode format 212 (36 MB buffer)', decodeMBs[212]!);
mbs('readRecord format 16 (12 leads x 10 min, 7.2 MB)', recordMBs[16]!, 'rec16');
mbs('readRecord format 212 (12 leads x 10 min, 5.4 MB)', recordMBs[212]!, 'rec212');

const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
console.log(`WFDB read benchmark (node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}; best of 5 passes, decode/readRecord best of 3)`);
for (const [i, r] of rows.entries()) {
  console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
if (!hasPy) console.log("wfdb-python: not installed for /usr/bin/python3 (import wfdb failed); peer columns n/a");

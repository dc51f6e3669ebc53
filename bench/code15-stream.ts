// CODE-15% streaming: memory stays bounded while reading an HDF5 file of > 2 GB.
//  1. Writes a CODE-15%-layout folder (exams.csv + one exams_part0.hdf5 of
//     --gb GB, default 2.1) with writeCode15, from a fast deterministic signal.
//  2. Streams every exam through openDataset(...).iterate() in a fresh child
//     process, checking one sample per exam, and reports its peak RSS
//     (resourceUsage().maxRSS), MB/s of HDF5 file and exams/s.
//  3. Peer: h5py (Debian's /usr/bin/python3 with python3-h5py) streaming the same
//     file in the same 32-exam blocks with the same leads-major transpose;
//     'n/a' when not installed.
// The file is read right after being written, so it is likely in the page
// cache: the figures measure decoding, not the disk. The folder is deleted at
// the end.
// Run: npm run build && node --expose-gc dist/bench/code15-stream.js [--gb 2.1] [--dir /tmp]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeEcg, openDataset, STANDARD_LEADS, writeCode15, CODE15_SAMPLES, type Ecg } from '../src/index.js';

const N_SAMPLES = CODE15_SAMPLES;
const EXAM_BYTES = N_SAMPLES * 12 * 4;

/** A cheap deterministic 12-lead pattern; exam k adds (k % 97) mV / 1000. */
function baseTable(): Float32Array {
  const t = new Float32Array(12 * N_SAMPLES);
  for (let l = 0; l < 12; l++) for (let i = 0; i < N_SAMPLES; i++) t[l * N_SAMPLES + i] = Math.sin((2 * Math.PI * i) / 320) * (0.3 + 0.05 * l) + Math.exp(-(((i % 320) - 160) ** 2) / 50) * (l - 5) * 0.2;
  return t;
}
function expected(table: Float32Array, k: number, idx: number): number {
  return Math.fround(table[idx]! + (k % 97) * 0.001);
}
/** The sample checked for exam k (0-based). */
function probe(k: number): number {
  return (k % 12) * N_SAMPLES + ((k * 7919) % N_SAMPLES);
}

function* exams(n: number, table: Float32Array): Generator<Ecg> {
  for (let k = 0; k < n; k++) {
    const signal = new Float32Array(table.length);
    const off = (k % 97) * 0.001;
    for (let i = 0; i < signal.length; i++) signal[i] = table[i]! + off;
    yield makeEcg({ signal, fs: 400, leads: STANDARD_LEADS, meta: { recordId: String(k + 1), age: 20 + (k % 70), sex: k % 2 ? 'F' : 'M', labels: k % 5 === 0 ? ['RBBB'] : ['normal_ecg'] } });
  }
}

interface ReadResult {
  exams: number;
  seconds: number;
  maxRssKb: number;
  rssAfterOpenMb: number;
  rssSamplesMaxMb: number;
  bad: number;
}

/** Child-process side: stream the folder and report. */
async function readPhase(dir: string): Promise<void> {
  const table = baseTable();
  const ds = await openDataset(dir);
  const rssAfterOpenMb = process.memoryUsage().rss / 2 ** 20;
  const t0 = performance.now();
  let n = 0;
  let bad = 0;
  let rssMax = 0;
  for await (const ecg of ds.iterate()) {
    const k = Number(ecg.meta.recordId) - 1;
    if (ecg.signal[probe(k)] !== expected(table, k, probe(k)) || ecg.nSamples !== N_SAMPLES) bad++;
    if (++n % 256 === 0) rssMax = Math.max(rssMax, process.memoryUsage().rss / 2 ** 20);
  }
  const r: ReadResult = { exams: n, seconds: (performance.now() - t0) / 1000, maxRssKb: process.resourceUsage().maxRSS, rssAfterOpenMb, rssSamplesMaxMb: rssMax, bad };
  process.stdout.write(JSON.stringify(r) + '\n');
}

function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { gb: { type: 'string' }, dir: { type: 'string' }, read: { type: 'string' } } });
  if (values.read) return readPhase(values.read);
  const gb = Number(values.gb ?? '2.1');
  const n = Math.ceil((gb * 1e9) / EXAM_BYTES);
  const base = mkdtempSync(join(resolve(values.dir ?? tmpdir()), 'ecgx-code15-bench-'));
  const dir = join(base, 'code15');
  try {
    const table = baseTable();
    const t0 = performance.now();
    await writeCode15(dir, exams(n, table), { examsPerPart: n });
    const tWrite = (performance.now() - t0) / 1000;
    const writeRssMb = process.resourceUsage().maxRSS / 1024;
    const file = join(dir, 'exams_part0.hdf5');
    const bytes = statSync(file).size;
    if (bytes < 2e9 && values.gb === undefined) throw new Error(`bench file is only ${bytes} bytes`);

    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--read', dir], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (child.status !== 0) throw new Error(`read phase failed: ${child.stderr}`);
    const r = JSON.parse(child.stdout) as ReadResult;
    if (r.exams !== n || r.bad !== 0) throw new Error(`read phase saw ${r.exams} exams (${r.bad} wrong), expected ${n}`);

    let peer: { exams: number; seconds: number; maxRssKb: number; h5py: string } | undefined;
    const py = spawnSync('/usr/bin/python3', [join(repoRoot(), 'bench/code15_stream_h5py.py'), file, '32'], { encoding: 'utf8' });
    if (py.status === 0) peer = JSON.parse(py.stdout);

    const mb = bytes / 1e6;
    const rows: string[][] = [
      ['phase', 'exams', 'file GB', 'seconds', 'MB/s', 'exams/s', 'peak RSS MB'],
      ['write (writeCode15)', String(n), (bytes / 1e9).toFixed(2), tWrite.toFixed(1), (mb / tWrite).toFixed(0), (n / tWrite).toFixed(0), writeRssMb.toFixed(0)],
      ['stream (ecgx iterate)', String(r.exams), (bytes / 1e9).toFixed(2), r.seconds.toFixed(1), (mb / r.seconds).toFixed(0), (r.exams / r.seconds).toFixed(0), (r.maxRssKb / 1024).toFixed(0)],
    ];
    if (peer) rows.push([`stream (h5py ${peer.h5py})`, String(peer.exams), (bytes / 1e9).toFixed(2), peer.seconds.toFixed(1), (mb / peer.seconds).toFixed(0), (peer.exams / peer.seconds).toFixed(0), (peer.maxRssKb / 1024).toFixed(0)]);
    else rows.push(['stream (h5py)', 'n/a', '', '', '', '', '']);
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((x) => x[c]!.length)));
    for (const x of rows) console.log(x.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  '));
    console.log(`\nstream: RSS ${r.rssAfterOpenMb.toFixed(0)} MB after open, at most ${r.rssSamplesMaxMb.toFixed(0)} MB while streaming (sampled every 256 exams); peak ${((r.maxRssKb * 1024) / bytes * 100).toFixed(1)}% of the file size`);
    if (peer) console.log(`ecgx / h5py stream throughput: ${(peer.seconds / r.seconds).toFixed(2)}x`);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

await main();

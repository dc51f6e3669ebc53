/**
 * Cohort scale on this machine, for planning runs past it (README, "Explanation
 * store: planning a cohort"):
 *   A. `ecgx explain --store --shard I/S` as S concurrent processes (S = 1, 2, 4;
 *      threads per process = max(1, cores / S)): per-shard ECG/s and peak RSS,
 *      the aggregate ECG/s, and the merge's time;
 *   B. per method, in one process: seconds per ECG and store bytes per 1,000
 *      ECGs (the method's attributions and wave_mass; records and scores once);
 *   C. the layout: compact rows (one FLOAT[] per ECG, method and lead: what the
 *      store writes) against long rows (one row per sample): bytes, write time,
 *      and one aggregate query's time.
 * ECGs: synthetic 12-lead records, 10 s at 500 Hz (5,000 samples per lead:
 * MIMIC-IV-ECG's format; CODE-15% is 4,096 at 400 Hz). Model: ecgx
 * resnet1d-small (filters 32,64,64,128; downsample 4,2,2; kernel 9; GAP head),
 * 6 outputs, untrained (time and bytes do not depend on training).
 *
 *   npm run build && node dist/bench/scale.js [nEcgs=48] [--steps 16]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { synthesizeDatabase } from '../src/data/synth/index.js';
import { writePtbxl } from '../src/data/datasets/ptbxl.js';
import { openDataset } from '../src/data/datasets/registry.js';
import { STANDARD_LEADS } from '../src/data/leads.js';
import { saveModel } from '../src/engine/onnx/proto.js';
import { inspectModel } from '../src/engine/onnx/inspect.js';
import { resnet1d } from '../src/models/resnet1d.js';
import { trainingCard, withCard } from '../src/models/card.js';
import { loadCardedModel } from '../src/models/predict.js';
import { explainRecords } from '../src/explain/index.js';
import { Db, emptyRows, explainRows, mergeStores, writeStore, TABLES, type ManifestInit, type Rows } from '../src/explain/store/index.js';

const args = process.argv.slice(2);
const N = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--steps') ?? 48);
const STEPS = args.includes('--steps') ? Number(args[args.indexOf('--steps') + 1]) : 16;
const CORES = cpus().length;
const METHODS = 'saliency,gradcam,integrated-gradients';
const WORKER = resolve(dirname(fileURLToPath(import.meta.url)), '_scale-worker.js');
const CLASSES = ['NORM', 'AF', 'MI', 'STTC', 'CD', 'HYP'];

const root = mkdtempSync(join(tmpdir(), 'ecgx-bench-scale-'));
const data = join(root, 'data');
const modelPath = join(root, 'model.onnx');

function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
}

function worker(argv: string[]): Promise<{ code: number; ms: number; maxRssMb: number }> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [WORKER, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => (code === 0 ? done(JSON.parse(out.trim().split('\n').pop()!)) : fail(new Error(`worker exited ${code}: ${out}`))));
  });
}

const MB = (b: number): string => (b / 2 ** 20).toFixed(1);

async function main(): Promise<void> {
  const m = resnet1d({ leads: 12, samples: 5000, filters: [32, 64, 64, 128], downsample: [4, 2, 2], kernel: 9, dropout: 0.2, head: 'gap', task: 'multilabel', outputs: CLASSES.length, classNames: CLASSES, fs: 500, leadNames: [...STANDARD_LEADS], seed: 1 });
  saveModel(modelPath, withCard(m, trainingCard({ leads: [...STANDARD_LEADS], fs: 500, length: 5000, standardize: true }, { task: 'multilabel', classes: CLASSES }, inspectModel(m))));
  await writePtbxl(data, synthesizeDatabase({ n: N, seed: 5, layout: 'ptbxl', fs: 500, durationS: 10 }), { fs: 500 });
  console.log(`bench/scale: ${N} ECGs (12 x 5000, 500 Hz), ${METHODS} (IG ${STEPS} steps), ${CORES} cores, load ${loadavg()[0]!.toFixed(2)}`);

  // A. shards as concurrent processes
  console.log('\nA. ecgx explain --store --shard I/S, S processes at once');
  console.log('shards  threads/shard  ECGs/shard (min-max)  per-shard ECG/s  aggregate ECG/s  wall s  peak RSS/shard MB  merge s');
  for (const S of [1, 2, 4]) {
    const threads = Math.max(1, Math.floor(CORES / S));
    const outs = Array.from({ length: S }, (_, i) => join(root, `a${S}-${i}`));
    const t0 = performance.now();
    const rs = await Promise.all(outs.map((o, i) => worker(['explain', '--model', modelPath, '--data', data, '--method', METHODS, '--steps', String(STEPS), '--threads', String(threads), '--store', '--out', o, ...(S > 1 ? ['--shard', `${i}/${S}`] : [])])));
    const wall = (performance.now() - t0) / 1000;
    const counts = await Promise.all(outs.map(async (o) => Number((await import('node:fs')).readFileSync(join(o, 'store.json'), 'utf8').match(/"records": (\d+)/)![1])));
    const t1 = performance.now();
    if (S > 1) await mergeStores(join(root, `a${S}-merged`), outs);
    const merge = (performance.now() - t1) / 1000;
    const perShard = rs.map((r, i) => counts[i]! / (r.ms / 1000));
    console.log([String(S).padEnd(6), String(threads).padEnd(13), `${Math.min(...counts)}-${Math.max(...counts)}`.padEnd(20), (perShard.reduce((a, b) => a + b, 0) / S).toFixed(2).padEnd(15), (N / wall).toFixed(2).padEnd(15), wall.toFixed(1).padEnd(6), Math.max(...rs.map((r) => r.maxRssMb)).toFixed(0).padEnd(17), S > 1 ? merge.toFixed(2) : '-'].join('  '));
  }

  // B. per method: time per ECG and store bytes per 1,000 ECGs
  console.log(`\nB. per method (one process, ${CORES} threads)`);
  const model = loadCardedModel(modelPath);
  const ds = await openDataset(data);
  const info = new Map(ds.records().map((r) => [r.id, r]));
  const result = await explainRecords(model, ds.iterate(), { methods: METHODS.split(','), options: { 'integrated-gradients': { steps: STEPS } }, seed: 0, batchSize: 16, threads: CORES, progress: false });
  await result.model.release();
  const t2 = performance.now();
  const rows = explainRows(result, (id) => info.get(id));
  const rowMs = performance.now() - t2;
  const init: ManifestInit = { command: 'bench', model: { file: modelPath, sha256: '' }, config: {}, cohort: { count: N, digest: '' }, shards: { count: 1, indices: [0] }, source: {}, versions: {} };
  const only = (keep: (t: keyof Rows, method?: string) => boolean): Rows => {
    const r = emptyRows();
    for (const t of Object.keys(r) as (keyof Rows)[]) r[t] = rows[t].filter((x) => keep(t, x['method'] as string | undefined));
    return r;
  };
  const base = join(root, 'b-base');
  let t3 = performance.now();
  await writeStore(base, only((t) => t === 'records' || t === 'scores'), init);
  const baseBytes = folderBytes(base);
  console.log(`records + scores: ${MB(baseBytes * 1000 / N)} MB per 1,000 ECGs (written in ${((performance.now() - t3) / 1000).toFixed(2)} s); rows built in ${(rowMs / 1000).toFixed(2)} s (wave mass: delineation of every record)`);
  console.log('method                 s/ECG (x cores)  MB per 1,000 ECGs  write s/1,000 ECGs');
  for (const a of result.attributions) {
    const dir = join(root, `b-${a.method}`);
    t3 = performance.now();
    await writeStore(dir, only((t, method) => method === a.method), init);
    const w = (performance.now() - t3) / 1000;
    console.log(`${a.method.padEnd(22)} ${(a.timing.ms / 1000 / N * CORES).toFixed(3).padEnd(16)} ${MB(folderBytes(dir) * 1000 / N).padEnd(18)} ${(w * 1000 / N).toFixed(2)}`);
  }

  // C. layout: compact list rows vs long rows, on integrated-gradients' maps
  console.log('\nC. layout of integrated-gradients maps');
  const db = await Db.open({ threads: 1 });
  const spec = TABLES.attributions;
  await db.createTable('compact', spec);
  const ig = rows.attributions.filter((r) => r['method'] === 'integrated-gradients');
  let t4 = performance.now();
  await db.append('compact', spec, ig);
  const appendMs = performance.now() - t4;
  const file = (n: string): string => join(root, `${n}.parquet`);
  t4 = performance.now();
  await db.run(`COPY (SELECT * FROM compact ORDER BY id, lead_index) TO '${file('compact')}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1024)`);
  const compactMs = performance.now() - t4 + appendMs;
  await db.run('CREATE TABLE long AS SELECT id, method, target, lead_index, lead, unnest(range(len("values")))::INTEGER AS t, unnest("values") AS value FROM compact');
  t4 = performance.now();
  await db.run(`COPY (SELECT * FROM long ORDER BY id, lead_index, t) TO '${file('long')}' (FORMAT parquet, COMPRESSION zstd)`);
  const longMs = performance.now() - t4 + appendMs;
  const q = async (sql: string): Promise<number> => {
    const t = performance.now();
    await db.all(sql);
    return performance.now() - t;
  };
  const qc = await q(`SELECT lead, avg(list_avg(list_transform("values", x -> abs(x)))) FROM '${file('compact')}' GROUP BY lead`);
  const ql = await q(`SELECT lead, avg(abs(value)) FROM '${file('long')}' GROUP BY lead`);
  db.close();
  console.log('layout                          MB per 1,000 ECGs  write s/1,000 ECGs  query ms (mean |a| by lead)');
  console.log(`compact (FLOAT[] per lead)      ${MB(statSync(file('compact')).size * 1000 / N).padEnd(18)} ${(compactMs / N).toFixed(2).padEnd(19)} ${qc.toFixed(0)}`);
  console.log(`long (one row per sample)       ${MB(statSync(file('long')).size * 1000 / N).padEnd(18)} ${(longMs / N).toFixed(2).padEnd(19)} ${ql.toFixed(0)}`);
  rmSync(root, { recursive: true, force: true });
}

await main();

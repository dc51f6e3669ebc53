import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO_ROOT, runCli } from './data-paths.js';
import { tinyPtbxl } from '../src/train/testing.js';
import { resnet1d } from '../src/models/resnet1d.js';
import { saveModel } from '../src/engine/onnx/proto.js';
import { trainingCard, withCard } from '../src/models/card.js';
import { inspectModel } from '../src/engine/onnx/inspect.js';
import { STANDARD_LEADS } from '../src/data/leads.js';

/**
 * The job scripts of examples/ run as their scheduler would run them: the
 * Slurm array's tasks and the Indexed Job's pods as concurrent local processes
 * with the variables the scheduler sets (SLURM_ARRAY_TASK_ID,
 * JOB_COMPLETION_INDEX), then their merge step; the merged store must equal
 * one process over the whole cohort.
 */
const root = mkdtempSync(join(tmpdir(), 'ecgx-examples-'));
const ECGX = `${process.execPath} ${CLI}`;
const SHARDS = 3;
const model = join(root, 'model.onnx');
{
  const classes = ['NORM', 'MI', 'STTC', 'CD', 'HYP'];
  const m = resnet1d({ leads: 12, samples: 300, filters: [4, 6, 8], downsample: [4, 2], kernel: 5, dropout: 0.1, head: 'gap', task: 'multilabel', outputs: 5, classNames: classes, fs: 100, leadNames: [...STANDARD_LEADS], seed: 3 });
  saveModel(model, withCard(m, trainingCard({ leads: [...STANDARD_LEADS], fs: 100, length: 300, standardize: true }, { task: 'multilabel', classes }, inspectModel(m))));
}

function sh(shell: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const p = spawn(shell, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => done({ code, out }));
  });
}

const parquet = (dir: string): Record<string, Buffer> => Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.parquet')).sort().map((f) => [f, readFileSync(join(dir, f))]));

/** The `args: - |` script of a Job manifest's container (the block under it, unindented). */
function jobScript(yaml: string): string {
  const lines = yaml.split('\n');
  const at = lines.findIndex((l) => /^\s*- \|\s*$/.test(l));
  assert.ok(at > 0, 'the manifest has a block script');
  const body = lines.slice(at + 1);
  const indent = /^(\s*)/.exec(body[0]!)![1]!.length;
  const end = body.findIndex((l) => l.trim() !== '' && /^(\s*)/.exec(l)![1]!.length < indent);
  return body.slice(0, end < 0 ? undefined : end).map((l) => l.slice(indent)).join('\n');
}

test('examples/: the Slurm array and the Kubernetes Indexed Job, run as local processes, merge to the store of one process', async () => {
  const data = await tinyPtbxl(10, 33);
  const whole = join(root, 'whole');
  const w = runCli(['explain', '--model', model, '--data', data, '--method', 'saliency', '--threads', '1', '--store', '--out', whole], 120_000);
  assert.equal(w.code, 0, w.stderr);
  const env = { ECGX, MODEL: model, DATA: data, SHARDS: String(SHARDS), METHODS: 'saliency' };

  // Slurm: the array's tasks, then merge.sh.
  const slurm = join(REPO_ROOT, 'examples/slurm');
  const out = join(root, 'slurm');
  const tasks = await Promise.all(Array.from({ length: SHARDS }, (_, i) => sh('bash', [join(slurm, 'explain-array.sh')], { ...env, OUT: out, SLURM_ARRAY_TASK_ID: String(i), SLURM_CPUS_PER_TASK: '1' })));
  for (const t of tasks) assert.equal(t.code, 0, t.out);
  const again = await sh('bash', [join(slurm, 'explain-array.sh')], { ...env, OUT: out, SLURM_ARRAY_TASK_ID: '1' });
  assert.equal(again.code, 0);
  assert.match(again.out, /shard 1\/3 is done already/);
  const merged = await sh('bash', [join(slurm, 'merge.sh')], { ...env, OUT: out });
  assert.equal(merged.code, 0, merged.out);
  assert.match(merged.out, /ecgs\n10\n/);
  assert.deepEqual(parquet(join(out, 'store')), parquet(whole));
  const submit = readFileSync(join(slurm, 'submit.sh'), 'utf8');
  assert.match(submit, /--array=0-\$\(\(SHARDS - 1\)\)/);
  assert.match(submit, /--dependency=afterok:/);
  assert.match(readFileSync(join(slurm, 'explain-array.sh'), 'utf8'), /^#SBATCH --array=0-63$/m);

  // Kubernetes: completions = SHARDS, Indexed; each pod's script with JOB_COMPLETION_INDEX, then the merge Job's script.
  const job = readFileSync(join(REPO_ROOT, 'examples/kubernetes/explain-job.yaml'), 'utf8');
  assert.match(job, /^\s+completionMode: Indexed$/m);
  assert.equal(/^\s+completions: (\d+)$/m.exec(job)![1], /- name: SHARDS\n\s+value: "(\d+)"/.exec(job)![1]);
  const k8s = join(root, 'k8s');
  const pods = await Promise.all(Array.from({ length: SHARDS }, (_, i) => sh('sh', ['-c', jobScript(job)], { ...env, OUT: k8s, THREADS: '1', JOB_COMPLETION_INDEX: String(i) })));
  for (const p of pods) assert.equal(p.code, 0, p.out);
  const m = await sh('sh', ['-c', jobScript(readFileSync(join(REPO_ROOT, 'examples/kubernetes/merge-job.yaml'), 'utf8'))], { ...env, OUT: k8s });
  assert.equal(m.code, 0, m.out);
  assert.deepEqual(parquet(join(k8s, 'store')), parquet(whole));
});

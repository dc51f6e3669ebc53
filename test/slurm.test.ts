import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, REPO_ROOT, runCli } from './data-paths.js';
import { tinyPtbxl } from '../src/train/testing.js';
import { resnet1d } from '../src/models/resnet1d.js';
import { saveModel } from '../src/engine/onnx/proto.js';
import { trainingCard, withCard } from '../src/models/card.js';
import { inspectModel } from '../src/engine/onnx/inspect.js';
import { STANDARD_LEADS } from '../src/data/leads.js';

/**
 * examples/slurm on a real Slurm: submit.sh's job array and merge job, run by
 * slurmctld/slurmd. Runs only where ECGX_SLURM=1 and a controller answers
 * (examples/slurm/loopback-slurm.sh starts a one-node Slurm on 127.0.0.1);
 * test/examples.test.ts runs the same scripts without Slurm everywhere.
 */
const wanted = process.env['ECGX_SLURM'] === '1';
const answers = wanted && spawnSync('sinfo', ['-h'], { encoding: 'utf8' }).status === 0;

test('examples/slurm/submit.sh on a real Slurm: the array and the merge job give the store of one process', { skip: !answers && (wanted ? 'ECGX_SLURM=1 but no Slurm controller answers (see examples/slurm/loopback-slurm.sh)' : 'set ECGX_SLURM=1 with a running Slurm (examples/slurm/loopback-slurm.sh)') }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'ecgx-slurm-'));
  const model = join(root, 'model.onnx');
  const classes = ['NORM', 'MI', 'STTC', 'CD', 'HYP'];
  const m = resnet1d({ leads: 12, samples: 300, filters: [4, 6, 8], downsample: [4, 2], kernel: 5, dropout: 0.1, head: 'gap', task: 'multilabel', outputs: 5, classNames: classes, fs: 100, leadNames: [...STANDARD_LEADS], seed: 3 });
  saveModel(model, withCard(m, trainingCard({ leads: [...STANDARD_LEADS], fs: 100, length: 300, standardize: true }, { task: 'multilabel', classes }, inspectModel(m))));
  const data = await tinyPtbxl(10, 41);
  const whole = join(root, 'whole');
  assert.equal(runCli(['explain', '--model', model, '--data', data, '--method', 'saliency,gradcam', '--store', '--out', whole]).code, 0);
  const out = join(root, 'out');
  const env = { ...process.env, MODEL: model, DATA: data, OUT: out, SHARDS: '3', METHODS: 'saliency,gradcam', ECGX: `${process.execPath} ${CLI}`, SBATCH_ARGS: '--cpus-per-task=1 --mem=500M' };
  const sub = spawnSync('bash', [join(REPO_ROOT, 'examples/slurm/submit.sh')], { cwd: root, env, encoding: 'utf8' });
  assert.equal(sub.status, 0, sub.stderr);
  const mergeJob = sub.stdout.trim().split('\n').pop()!;
  for (let i = 0; i < 180 && !readdirSync(root).some((f) => f === `ecgx-merge-${mergeJob}.log` && /ecgs/.test(readFileSync(join(root, f), 'utf8'))); i++) await sleep(1000);
  const log = readFileSync(join(root, `ecgx-merge-${mergeJob}.log`), 'utf8');
  assert.match(log, /merged 3 store\(s\): 10 ECG\(s\)/);
  assert.ok(existsSync(join(out, 'store', 'store.json')));
  for (const t of readdirSync(whole).filter((f) => f.endsWith('.parquet'))) assert.ok(readFileSync(join(whole, t)).equals(readFileSync(join(out, 'store', t))), t);
});

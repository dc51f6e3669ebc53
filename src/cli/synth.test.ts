import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from '../../test/data-paths.js';
import { COMMANDS } from './commands.js';
import { synthesizeDatabase } from '../data/synth/index.js';
import { openDataset } from '../data/datasets/index.js';

const ecgx = (...args: string[]): ReturnType<typeof runCli> => runCli(args, 120_000);

function expectedSuperclassCounts(n: number, seed: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of synthesizeDatabase({ n, seed, fs: 100, layout: 'ptbxl' })) {
    for (const c of String(e.meta.extra!['superclasses']).split(',')) counts[c] = (counts[c] ?? 0) + 1;
  }
  return counts;
}

test('ecgx synth --layout ptbxl: 20 records that read back with the expected superclasses and waves', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ecgx-synth-'));
  try {
    const out = join(root, 'db');
    const r = ecgx('synth', '--out', out, '--n', '20', '--layout', 'ptbxl', '--fs', '100', '--seed', '1');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote 20 ptbxl records/);
    const want = expectedSuperclassCounts(20, 1);
    const ds = await openDataset(out);
    assert.equal(ds.layout, 'ptbxl');
    assert.equal(ds.records().length, 20);
    const got: Record<string, number> = {};
    for (const info of ds.records()) for (const l of info.meta.labels ?? []) if (l in want || ['NORM', 'MI', 'STTC', 'CD', 'HYP'].includes(l)) got[l] = (got[l] ?? 0) + 1;
    assert.deepEqual(got, want);
    const first = await ds.load(ds.records()[0]!.id);
    assert.equal(first.fs, 100);
    assert.ok((first.waves?.['*']?.length ?? 0) > 10, 'ground-truth waves travel with the records');
    if (COMMANDS['dataset']) {
      const info = ecgx('dataset', 'info', out, '--json');
      assert.equal(info.code, 0, info.stderr);
      const j = JSON.parse(info.stdout) as { records: number; labelSets: Record<string, Record<string, number>> };
      assert.equal(j.records, 20);
      const sup = Object.values(j.labelSets).find((s) => 'NORM' in s || 'MI' in s)!;
      for (const [c, k] of Object.entries(want)) assert.equal(sup[c], k, `superclass ${c}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

function filesOf(dir: string, rel = ''): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const r = join(rel, e.name);
    if (e.isDirectory()) for (const [k, v] of filesOf(dir, r)) out.set(k, v);
    else out.set(r, readFileSync(join(dir, r)));
  }
  return out;
}

test('ecgx synth: the same seed writes byte-identical PTB-XL folders, another seed differs', () => {
  const root = mkdtempSync(join(tmpdir(), 'ecgx-synth-'));
  try {
    for (const [name, seed] of [['a', '4'], ['b', '4'], ['c', '5']] as const) {
      const r = ecgx('synth', '--out', join(root, name), '--n', '3', '--layout', 'ptbxl', '--fs', '500', '--seed', seed);
      assert.equal(r.code, 0, r.stderr);
    }
    const [a, b, c] = ['a', 'b', 'c'].map((n) => filesOf(join(root, n)));
    assert.deepEqual([...a!.keys()].sort(), [...b!.keys()].sort());
    for (const [k, v] of a!) assert.ok(v.equals(b!.get(k)!), `${k} differs between two runs with one seed`);
    assert.ok(!a!.get('records500/00000/00001_hr.dat')!.equals(c!.get('records500/00000/00001_hr.dat')!));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('ecgx synth: bad flags give a one-line error and leave no folder behind', () => {
  const root = mkdtempSync(join(tmpdir(), 'ecgx-synth-'));
  try {
    const out = join(root, 'db');
    const cases: [string[], RegExp][] = [
      [['--n', '5', '--layout', 'ptbxl', '--fs', '250'], /--fs: expected one of 100\|500/],
      [['--n', '5', '--layout', 'code15', '--fs', '500'], /--fs: the code15 layout is always 400 Hz/],
      [['--n', 'x', '--layout', 'ptbxl'], /--n: expected an integer/],
      [['--n', '5', '--layout', 'mitdb'], /--layout: expected one of ptbxl\|code15/],
      [['--n', '5', '--layout', 'ptbxl', '--cohort', 'mars'], /unknown cohort 'mars'/],
      [['--n', '5', '--layout', 'ptbxl', '--bogus'], /bogus/],
    ];
    for (const [args, msg] of cases) {
      const r = ecgx('synth', '--out', out, ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(!existsSync(out), `${args.join(' ')} left ${out}`);
    }
    assert.deepEqual(readdirSync(root), [], 'no temporary folder left either');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const r = ecgx('synth', '--out', out, '--n', '2', '--layout', 'ptbxl');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /exists \(pass --force to replace it\)/);
    assert.deepEqual(readdirSync(out), ['keep.txt']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, LUDB_DIR } from '../../test/data-paths.js';

const skip = existsSync(join(LUDB_DIR, 'ludb.csv')) ? false : `LUDB not found at ${LUDB_DIR}`;
const ecgx = (...args: string[]) => spawnSync(process.execPath, [CLI, 'delineate', ...args], { encoding: 'utf8', timeout: 60_000 });

test('ecgx delineate RECORD --json: R peaks and waves per lead and fused, in samples', { skip }, () => {
  const r = ecgx(join(LUDB_DIR, 'data', '1'), '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { fs: number; nSamples: number; units: string; rPeaks: number[]; leads: string[]; waves: Record<string, { wave: string; onset: number; offset: number }[]> };
  assert.equal(out.fs, 500);
  assert.equal(out.units, 'samples');
  assert.equal(out.leads.length, 12);
  // LUDB record 1 is sinus bradycardia: 7 beats in 10 s (the cardiologists annotate the middle 5 of them in every lead).
  assert.equal(out.rPeaks.length, 7);
  for (const key of [...out.leads, '*']) {
    const kinds = new Set(out.waves[key]!.map((w) => w.wave));
    assert.deepEqual([...kinds].sort(), ['P', 'QRS', 'T'], key);
  }
});

test('ecgx delineate RECORD: text table of fused boundaries', { skip }, () => {
  const r = ecgx(join(LUDB_DIR, 'data', '1'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /beats +7, heart rate 4\d bpm/);
  assert.match(r.stdout, /median +PR \d+ ms, QRS \d+ ms, QT \d+ ms/);
});

test('ecgx delineate --evaluate DATASET --records: the score table', { skip }, () => {
  const r = ecgx('--evaluate', LUDB_DIR, '--records', '1,2', '--json');
  assert.equal(r.status, 0, r.stderr);
  const ev = JSON.parse(r.stdout) as { records: number; toleranceMs: number; byLead: Record<string, Record<string, { se: number }>> };
  assert.equal(ev.records, 2);
  assert.equal(ev.toleranceMs, 150);
  assert.ok(ev.byLead['*']!['QRS_onset']!.se >= 0.99);
  assert.equal(Object.keys(ev.byLead).length, 13);
  const at250 = ecgx('--evaluate', LUDB_DIR, '--records', '1', '--fs', '250', '--json');
  assert.equal(at250.status, 0, at250.stderr);
  const ev250 = JSON.parse(at250.stdout) as { config: { fs: number }; byLead: Record<string, Record<string, { se: number; meanErrorMs: number }>> };
  assert.equal(ev250.config.fs, 250);
  assert.ok(ev250.byLead['*']!['QRS_onset']!.se >= 0.99 && Math.abs(ev250.byLead['*']!['QRS_onset']!.meanErrorMs) < 10);
});

test('ecgx delineate: a bad path or flag fails in one line with a non-zero exit', () => {
  for (const args of [['/no/such/record'], ['--evaluate', '/no/such/folder'], [], ['x', '--tolerance', '5'], ['--evaluate', LUDB_DIR, '--fs', 'fast'], ['--evaluate', LUDB_DIR, '--records', '9999']]) {
    const r = ecgx(...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^ecgx: /);
    assert.doesNotMatch(r.stderr, /internal error|    at /);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, LUDB_DIR, runCli } from '../../test/data-paths.js';

const LUDB = join(LUDB_DIR, 'data');


const ecgx = (...args: string[]): ReturnType<typeof runCli> => runCli(args);

test('ecgx record --json on a LUDB record: the documented shape, known checksums and gains', () => {
  const r = ecgx('record', `${LUDB}/1.hea`, '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, any>;
  assert.deepEqual(Object.keys(j), ['name', 'fs', 'nSamples', 'durationS', 'leads', 'meta']);
  assert.deepEqual([j.name, j.fs, j.nSamples, j.durationS], ['1', 500, 5000, 10]);
  assert.equal(j.leads.length, 12);
  assert.deepEqual(j.leads[0], { name: 'I', units: 'mV', gain: 1716, baseline: 6, adcZero: 0, format: 16, checksum: { expected: -32198, actual: -32198, ok: true } });
  assert.deepEqual(j.leads.map((l: { name: string }) => l.name), ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6']);
  assert.equal(j.meta.age, 51);
  assert.equal(j.meta.sex, 'F');
  assert.equal(j.meta.recordId, '1');
});

test('ecgx record --json --samples: physical samples per lead in header order, missing as null (--samples implies --json)', () => {
  const r = ecgx('record', `${LUDB}/1`, '--json', '--samples');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { samples: number[][] };
  assert.equal(j.samples.length, 12);
  assert.equal(j.samples[0]!.length, 5000);
  assert.ok(Math.abs(j.samples[0]![0]! - (-120 - 6) / 1716) < 1e-6);
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-cli-'));
  try {
    writeFileSync(join(dir, 'n.hea'), 'n 1 100 3\nn.dat 16 2(0)/mV 16 0 4 -32756 0 II\n');
    writeFileSync(join(dir, 'n.dat'), Uint8Array.from([4, 0, 0, 0x80, 8, 0]));
    const n = ecgx('record', join(dir, 'n'), '--samples');
    assert.equal(n.code, 0, n.stderr);
    assert.deepEqual((JSON.parse(n.stdout) as { samples: unknown[][] }).samples, [[2, null, 4]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ecgx record text mode: a readable summary', () => {
  const r = ecgx('record', `${LUDB}/1`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /12 at 500 Hz, 5000 samples \(10\.000 s\)/);
  assert.match(r.stdout, /age 51, sex F/);
  assert.match(r.stdout, /^aVR\s+16\s+1368\(-5\)\/mV .* ok$/m);
});

test('ecgx record on broken input: one-line error naming the file, non-zero exit, no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-cli-'));
  try {
    writeFileSync(join(dir, 'bad.hea'), 'bad 2 500 10\nbad.dat 16 200 16 0 0 0 0 I\n');
    let r = ecgx('record', join(dir, 'bad.hea'));
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /bad\.hea \(number of signals\): the record line declares 2 signal\(s\) but 1 signal line\(s\) follow/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);

    writeFileSync(join(dir, 'sum.hea'), 'sum 1 500 2\nsum.dat 16 200 16 0 0 77 0 V1\n');
    writeFileSync(join(dir, 'sum.dat'), Uint8Array.from([1, 0, 2, 0]));
    r = ecgx('record', join(dir, 'sum'), '--json');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /sum\.dat \(checksum\): checksum mismatch for lead V1 \(header 77, samples sum to 3\)/);
    r = ecgx('record', join(dir, 'sum'), '--json', '--checksum', 'warn');
    assert.equal(r.code, 0);
    assert.deepEqual((JSON.parse(r.stdout) as { leads: { checksum: unknown }[] }).leads[0]!.checksum, { expected: 77, actual: 3, ok: false });
    assert.match(r.stderr, /^ecgx: warning: .*sum\.dat/);

    r = ecgx('record', join(dir, 'nope'));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /nope\.hea: no such file/);
    r = ecgx('record', `${LUDB}/1`, '--checksum', 'maybe');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--checksum: expected one of warn\|error/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

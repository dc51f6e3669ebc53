import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, LUDB_DIR, SHARED_DIR, runCli } from '../../test/data-paths.js';

const LUDB = join(LUDB_DIR, 'data');


const ecgx = (...args: string[]): ReturnType<typeof runCli> => runCli(args);

test('ecgx record --json on a LUDB record: the documented shape, known checksums and gains', () => {
  const r = ecgx('record', `${LUDB}/1.hea`, '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, any>;
  assert.deepEqual(Object.keys(j), ['name', 'fs', 'nSamples', 'durationS', 'leads', 'meta', 'warnings']);
  // LUDB scales every lead to 1 mV peak to peak: said in the JSON and on stderr, exit 0.
  assert.deepEqual(j.warnings, ['record 1: every lead spans exactly 1 mV peak to peak: the amplitudes look normalized (as LUDB\'s are, as distributed) or clipped, so millivolt axes and voltage criteria do not apply']);
  assert.equal(r.stderr, `ecgx: warning: ${j.warnings[0]}\n`);
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

test('ecgx record on a non-normalized record (PTB-XL): no warning', () => {
  const r = ecgx('record', join(SHARED_DIR, 'data/ptbxl/records100/00000/00001_lr'), '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.deepEqual((JSON.parse(r.stdout) as { warnings: string[] }).warnings, []);
});

/** Runs `ecgx record PATH` under a 1.5 GiB address-space ceiling and a 256 MiB heap, with a 30 s guard against hangs. */
function recordUnderCeiling(path: string): { code: number | null; stderr: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync('bash', ['-c', 'ulimit -v 1500000 && exec "$0" --max-old-space-size=256 "$1" record "$2"', process.execPath, CLI, path], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stderr: r.stderr, ms: Date.now() - t0 };
}

test('ecgx record under a memory ceiling: a 170,000,000-sample gap, a FIFO and /dev/zero each end in one ecgx: line and exit 2, at once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-cli-'));
  try {
    copyFileSync(join(LUDB, '1.hea'), join(dir, '1.hea'));
    copyFileSync(join(LUDB, '1.dat'), join(dir, '1.dat'));
    writeFileSync(join(dir, 'm.hea'), 'm/2 12 500 170005000\n1 5000\n~ 170000000\n'); // the 40-byte header of issue 18
    spawnSync('mkfifo', [join(dir, 'f.dat')]);
    writeFileSync(join(dir, 'f.hea'), 'f 1 500 10\nf.dat 16\n');
    symlinkSync('/dev/zero', join(dir, 'z.dat'));
    writeFileSync(join(dir, 'z.hea'), 'z 1 500\nz.dat 16\n');
    writeFileSync(join(dir, 'hz.hea'), 'hz 1 1e308 10\nhz.dat 16\n');
    const cases: [string, RegExp][] = [
      ['m', /^ecgx: .*m\.hea \(number of samples\): the segments hold 170005000 samples \(gaps included\) x 12 signals, more than ecgx reads at once \(at most 268435456 samples/],
      ['f', /^ecgx: .*f\.dat: is a FIFO \(named pipe\)/],
      ['z', /^ecgx: .*z\.dat: is a character device/],
      ['hz', /^ecgx: .*hz\.hea:1 \(sampling frequency\): expected a frequency from 0\.001 to 1000000 Hz/],
    ];
    // The ceiling is low enough that allocating the gap (8 GiB of float32) would fail, so an exit 2 means it was refused first.
    for (const [name, re] of cases) {
      const r = recordUnderCeiling(join(dir, name));
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, re);
      assert.ok(r.ms < 15_000, `${name} took ${r.ms} ms`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

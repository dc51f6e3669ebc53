import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { formatHeader, parseHeader, readHeader } from './header.js';
import { FormatError, IoError } from '../../util/errors.js';
import { commentsToMeta } from './metadata.js';
import { LUDB_DIR } from '../../../test/data-paths.js';

const LUDB = join(LUDB_DIR, 'data');

test('header: every record-line and signal-line field', () => {
  const h = parseHeader(
    [
      '# leading comment',
      'rec01 2 360/720(12) 650000 13:05:07.5 24/12/1999',
      'rec01.dat 212x2:3+512 200(1024)/uV 11 1024 995 -22131 0 MLII lead, modified',
      'rec01.dat 212 0 12',
      '',
      '#Age: 69',
    ].join('\r\n'),
    'rec01.hea',
  );
  assert.equal(h.recordName, 'rec01');
  assert.equal(h.nSegments, undefined);
  assert.equal(h.nSignals, 2);
  assert.equal(h.fs, 360);
  assert.equal(h.counterFreq, 720);
  assert.equal(h.baseCounter, 12);
  assert.equal(h.nSamples, 650000);
  assert.equal(h.baseTime, '13:05:07.5');
  assert.equal(h.baseDate, '24/12/1999');
  assert.deepEqual(h.comments, ['leading comment', 'Age: 69']);
  assert.deepEqual(h.signals[0], {
    fileName: 'rec01.dat', format: 212, samplesPerFrame: 2, skew: 3, byteOffset: 512, adcGain: 200, baseline: 1024, units: 'uV',
    adcResolution: 11, adcZero: 1024, initValue: 995, checksum: -22131, blockSize: 0, description: 'MLII lead, modified',
  });
  // Absent fields take the WFDB defaults: gain 0 means 200, baseline = ADC zero, units mV, no checksum.
  assert.deepEqual(h.signals[1], {
    fileName: 'rec01.dat', format: 212, samplesPerFrame: 1, skew: 0, byteOffset: 0, adcGain: 200, baseline: 0, units: 'mV',
    adcResolution: 12, adcZero: 0, initValue: 0, blockSize: 0, description: '',
  });
});

test('header: defaults for a minimal record line (fs 250, samples unknown) and format-dependent ADC resolution', () => {
  const h = parseHeader('r 3\nr.dat 8\nr.dat 8\nr.dat 8 100(5)\n', 'r.hea');
  assert.equal(h.fs, 250);
  assert.equal(h.nSamples, 0);
  assert.equal(h.signals[0]!.adcResolution, 10);
  assert.equal(h.signals[0]!.adcGain, 200);
  assert.equal(h.signals[2]!.baseline, 5);
  assert.equal(h.signals[2]!.adcZero, 0);
  assert.equal(h.signals[2]!.initValue, 0);
  assert.equal(h.signals[2]!.units, 'mV');
  assert.equal(parseHeader('r 1\nr.dat 80\n', 'r.hea').signals[0]!.adcResolution, 8);
  // MIT-BIH style: gain without units; an empty unit after '/' is also mV.
  assert.equal(parseHeader('100 1 360 650000 0:0:0 0/0/0\n100.dat 212 200 11 1024 995 -22131 0 MLII\n', '100.hea').signals[0]!.units, 'mV');
  assert.equal(parseHeader('r 1\nr.dat 16 200(0)/\n', 'r.hea').signals[0]!.units, 'mV');
});

test('header: PhysioNet Challenge 2020 header: .mat byte offset 16x1+24, date before time', () => {
  const h = parseHeader('A0001 2 500 7500 05-Feb-2020 11:39:16\nA0001.mat 16x1+24 1000/mV 16 0 28 -1716 0 I\nA0001.mat 16x1+24 1000/mV 16 0 7 2029 0 II\n#Age: 74\n', 'A0001.hea');
  assert.equal(h.nSignals, 2);
  assert.equal(h.baseTime, '11:39:16');
  assert.equal(h.baseDate, '05-Feb-2020');
  for (const s of h.signals) {
    assert.equal(s.byteOffset, 24);
    assert.equal(s.samplesPerFrame, 1);
    assert.equal(s.format, 16);
    assert.equal(s.adcGain, 1000);
  }
  assert.equal(h.signals[1]!.checksum, 2029);
});

test('header: multi-segment records list their segments', () => {
  const h = parseHeader('multi/3 2 125 30\nseg1 10\n~ 10\nseg3 10\n', 'multi.hea');
  assert.equal(h.nSegments, 3);
  assert.deepEqual(h.segments, [
    { recordName: 'seg1', nSamples: 10 },
    { recordName: '~', nSamples: 10 },
    { recordName: 'seg3', nSamples: 10 },
  ]);
});

test('header: formatHeader is parseHeader\'s inverse', () => {
  const text = 'x 2 500/1000(3) 42 10:00:00 01/02/2003\nx.dat 16x2:1+8 1716(6)/mV 16 0 -120 -32198 0 I\nx.dat 16 200(0)/uV 12 0 0 0 0 V1\n#<age>: 51\n';
  const h = parseHeader(text, 'x.hea');
  assert.deepEqual(parseHeader(formatHeader(h), 'x.hea'), h);
  // A signal line without checksum stays without one.
  const bare = parseHeader('y 1 250 10\ny.dat 212 200(0)/mV 12 0 5\n', 'y.hea');
  assert.equal(formatHeader(bare), 'y 1 250 10\ny.dat 212 200(0)/mV 12 0 5\n');
  assert.deepEqual(parseHeader(formatHeader(bare), 'y.hea'), bare);
});

function formatError(text: string): FormatError {
  try {
    parseHeader(text, 'bad.hea');
  } catch (e) {
    assert.ok(e instanceof FormatError, `expected a FormatError, got ${String(e)}`);
    assert.equal(e.file, 'bad.hea');
    return e;
  }
  assert.fail(`no error for ${JSON.stringify(text)}`);
}

test('header errors name the file, line and field and say what was expected', () => {
  let e = formatError('r 3 500 10\nr.dat 16\nr.dat 16\n');
  assert.match(e.message, /declares 3 signal\(s\) but 2 signal line\(s\) follow/);
  assert.equal(e.field, 'number of signals');
  e = formatError('r 1 500 10\nr.dat 16\nr.dat 16\n');
  assert.equal(e.line, 3);
  e = formatError('r 1 500 10\nr.dat sixteen\n');
  assert.equal(e.line, 2);
  assert.equal(e.field, 'format');
  assert.match(e.message, /bad\.hea:2 \(format\): expected 'format\[xframes\]/);
  e = formatError('r 1 500 10\nr.dat 16 abc/mV\n');
  assert.equal(e.field, 'ADC gain');
  e = formatError('r 1 500 ten\n');
  assert.equal(e.field, 'number of samples');
  e = formatError('r x 500\n');
  assert.equal(e.field, 'number of signals');
  e = formatError('r 1 fast\n');
  assert.equal(e.field, 'sampling frequency');
  e = formatError('r 1 500 10 25:61:xx\n');
  assert.equal(e.field, 'base time');
  e = formatError('# only comments\n\n');
  assert.match(e.message, /no record line/);
  e = formatError('m/2 1 500 10\nseg1 5\n');
  assert.equal(e.field, 'number of segments');
  e = formatError('r 1 500 10\nr.dat 16 200 12 0 0 0 -4\n');
  assert.equal(e.field, 'block size');
});

test('readHeader accepts name or name.hea; a missing header is an IoError naming it', () => {
  assert.equal(readHeader(`${LUDB}/1`).recordName, '1');
  assert.equal(readHeader(`${LUDB}/1.hea`).nSignals, 12);
  assert.throws(() => readHeader('/nonexistent/rec'), (e: unknown) => e instanceof IoError && e.file === '/nonexistent/rec.hea' && /no such file/.test(e.message));
});

test('metadata: Challenge-style and LUDB-style comments', () => {
  const ch = commentsToMeta(['Age: 74', 'Sex: Male', 'Dx: 164889003,59118001', 'Rx: Unknown', 'Hx: Unknown'], 'A0001', 'a/A0001.hea');
  assert.deepEqual(ch, { recordId: 'A0001', sourcePath: 'a/A0001.hea', age: 74, sex: 'M', labels: ['164889003', '59118001'], extra: { Rx: 'Unknown', Hx: 'Unknown' } });
  const spaced = commentsToMeta(['Age: 59', ' Dx: 426783006', 'Sex: Female'], 'r');
  assert.deepEqual([spaced.age, spaced.sex, spaced.labels], [59, 'F', ['426783006']]);
  const ludb = commentsToMeta(['<age>: 51', '<sex>: F', '<diagnoses>:', 'Rhythm: Sinus bradycardia.', 'Left ventricular hypertrophy. '], '1');
  assert.deepEqual(ludb, { recordId: '1', age: 51, sex: 'F', labels: ['Rhythm: Sinus bradycardia', 'Left ventricular hypertrophy'] });
  assert.equal(commentsToMeta(['Age: NaN', 'Sex: Unknown'], 'r').age, undefined);
});

test('sampling frequency: 0, 1e308 and 1e-9 are refused with the accepted range; 0.001 Hz to 1 MHz are read', () => {
  for (const fs of ['0', '1e308', '1e-9', '-500', '0/1000']) {
    const e = formatError(`r 1 ${fs} 10\nr.dat 16\n`);
    assert.equal(e.field, 'sampling frequency');
    assert.equal(e.line, 1);
    assert.match(e.message, new RegExp(`expected a frequency from 0\\.001 to 1000000 Hz .*got '${fs.split('/')[0]!.replace('.', '\\.')}'`));
  }
  for (const [fs, want] of [['0.001', 0.001], ['0.0166667', 0.0166667], ['1e6', 1e6], ['360', 360]] as const) {
    assert.equal(parseHeader(`r 1 ${fs} 10\nr.dat 16\n`, 'r.hea').fs, want);
  }
  // Absent, the frame rate is WFDB's default of 250 Hz.
  assert.equal(parseHeader('r 1\nr.dat 16\n', 'r.hea').fs, 250);
});

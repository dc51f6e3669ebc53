import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, LUDB_DIR, runCli } from '../../test/data-paths.js';
import { byClass, parseSvg } from '../viz/svg-parse.js';
import { decodePng, PNG_SIGNATURE } from '../viz/png-decode.js';
import { openDataset } from '../data/datasets/index.js';

const LUDB = join(LUDB_DIR, 'data');
const skip = !existsSync(LUDB) && `LUDB not at ${LUDB_DIR}`;

const ecgx = (...args: string[]): ReturnType<typeof runCli> => runCli(args);

test('ecgx plot RECORD --out .svg: the 3x4 print with LUDB annotations; --out .png: rasterised at 2x', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-plot-'));
  try {
    const svgFile = join(dir, 'one.svg');
    const r = ecgx('plot', `${LUDB}/1.hea`, '--out', svgFile);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^wrote .*one\.svg \(SVG, \d+x\d+ px, \d+ bytes\)\n$/);
    // LUDB's leads are all scaled to 1 mV peak to peak: the plot says its mV grid does not mean much.
    assert.match(r.stderr, /^ecgx: warning: record 1: every lead spans exactly 1 mV peak to peak: .*voltage criteria do not apply\n$/);
    const doc = parseSvg(readFileSync(svgFile, 'utf8'));
    const root = doc.children[0]!;
    assert.equal(root.attrs['data-layout'], '3x4+II');
    assert.equal(byClass(doc, 'segment').length, 13);
    const ecg = await (await openDataset(LUDB_DIR)).load('1');
    const aVL = byClass(doc, 'wave').filter((w) => w.attrs['data-lead'] === 'aVL');
    const expected = ecg.waves!['aVL']!.filter((w) => w.offset >= 1250 && w.onset < 2500);
    assert.deepEqual(aVL.map((w) => [Number(w.attrs['data-onset']), Number(w.attrs['data-offset'])]), expected.map((w) => [w.onset, w.offset]));

    const pngFile = join(dir, 'one.png');
    const p = ecgx('plot', `${LUDB}/1`, '--out', pngFile, '--layout', '12x1', '--waves', 'none', '--duration', '3');
    assert.equal(p.code, 0, p.stderr);
    const png = new Uint8Array(readFileSync(pngFile));
    assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
    const img = decodePng(png);
    const svg12 = ecgx('plot', `${LUDB}/1`, '--out', join(dir, 'twelve.svg'), '--layout', '12x1', '--waves', 'none', '--duration', '3');
    assert.equal(svg12.code, 0, svg12.stderr);
    const r12 = parseSvg(readFileSync(join(dir, 'twelve.svg'), 'utf8')).children[0]!;
    assert.deepEqual([img.width, img.height], [2 * Number(r12.attrs['width']), 2 * Number(r12.attrs['height'])]);
    assert.equal(byClass(parseSvg(readFileSync(join(dir, 'twelve.svg'), 'utf8')), 'wave').length, 0, '--waves none');
    assert.deepEqual(readdirSync(dir).sort(), ['one.png', 'one.svg', 'twelve.svg'], 'no temporary files left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ecgx plot --data DIR --id ID with one lead, the delineator\'s waves and paper settings', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-plot-'));
  try {
    const out = join(dir, 'v2.svg');
    const r = ecgx('plot', '--data', LUDB_DIR, '--id', '5', '--layout', 'lead:v2', '--waves', 'delineate', '--speed', '50', '--gain', '20', '--px-per-mm', '3', '--out', out);
    assert.equal(r.code, 0, r.stderr);
    const doc = parseSvg(readFileSync(out, 'utf8'));
    const root = doc.children[0]!;
    assert.deepEqual([root.attrs['data-layout'], root.attrs['data-speed'], root.attrs['data-gain'], root.attrs['data-px-per-mm']], ['1x1', '50', '20', '3']);
    assert.deepEqual(byClass(doc, 'segment').map((s) => s.attrs['data-lead']), ['V2']);
    assert.equal(byClass(doc, 'waves')[0]!.attrs['data-source'], 'ecgx delineator');
    assert.ok(byClass(doc, 'wave-QRS').length >= 8, 'about one QRS per beat in 10 s');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ecgx plot: bad input is a one-line error, exit 2, and no output file', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-plot-'));
  try {
    // A record without wave files, for --waves annotations.
    copyFileSync(`${LUDB}/1.hea`, join(dir, '1.hea'));
    copyFileSync(`${LUDB}/1.dat`, join(dir, '1.dat'));
    const out = join(dir, 'out.svg');
    const cases: [string[], RegExp][] = [
      [[`${LUDB}/1`], /--out: is required/],
      [[`${LUDB}/1`, '--out', join(dir, 'x.pdf')], /--out: expected a file ending in \.svg or \.png/],
      [[`${LUDB}/1`, '--out', out, '--layout', '2x6'], /--layout: expected 3x4, 12x1 or lead:NAME/],
      [[`${LUDB}/1`, '--out', out, '--layout', 'lead:V9'], /--layout: record 1 has no lead 'V9'/],
      [[`${LUDB}/1`, '--out', out, '--waves', 'maybe'], /--waves: expected one of annotations\|delineate\|none/],
      [[`${LUDB}/1`, '--out', out, '--speed', 'fast'], /--speed: expected a number, got 'fast'/],
      [[`${LUDB}/1`, '--out', out, '--start', '12'], /--start: 12 s is past the end of the record \(10 s\)/],
      [[`${LUDB}/1`, '--out', out, '--scale', '3'], /--scale: applies to PNG output only/],
      [[join(dir, 'missing'), '--out', out], /missing\.hea: no such file/],
      [[join(dir, '1'), '--out', out, '--waves', 'annotations'], /record 1 has no wave annotations/],
      [['--data', LUDB_DIR, '--id', '999', '--out', out], /--id: no record '999'/],
      [[`${LUDB}/1`, '--data', LUDB_DIR, '--id', '1', '--out', out], /give either RECORD or --data DIR --id ID/],
    ];
    for (const [args, msg] of cases) {
      const r = ecgx('plot', ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.deepEqual(readdirSync(dir).sort(), ['1.dat', '1.hea']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

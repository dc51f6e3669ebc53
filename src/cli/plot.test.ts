import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, LUDB_DIR, runCli } from '../../test/data-paths.js';
import { byClass, parseSvg } from '../viz/svg-parse.js';
import { decodePng, PNG_SIGNATURE } from '../viz/png-decode.js';
import { openDataset } from '../data/datasets/index.js';
import { resnet1d } from '../models/resnet1d.js';
import { saveModel } from '../engine/onnx/proto.js';
import { trainingCard, withCard } from '../models/card.js';
import { inspectModel } from '../engine/onnx/inspect.js';
import { STANDARD_LEADS } from '../data/leads.js';
import { readNpy } from '../util/npy.js';
import { fitTlc } from '../explain/tlc/fit.js';
import { percentileAbs } from '../viz/attribution.js';
import { Rng } from '../util/rng.js';

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
      [[`${LUDB}/1`, '--out', out, '--layout', '2x6'], /--layout: expected 3x4, 12x1, lead:NAME \(e\.g\. lead:II\) or methods\[:LEAD\]/],
      [[`${LUDB}/1`, '--out', out, '--method', 'ig'], /--method: goes with --explain DIR/],
      [[`${LUDB}/1`, '--out', out, '--layout', 'methods'], /--layout: methods needs --explain DIR/],
      [[`${LUDB}/1`, '--out', out, '--tlc', join(dir, 't.json')], /--tlc: needs --model M\.onnx/],
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

test('ecgx plot --explain: the record found in explain.json by id, drawn on the attributions\' samples (resampled to the card\'s rate), one chart per method; --tlc adds clusters and entropy', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-plot-explain-'));
  try {
    // A 100 Hz model: LUDB's 500 Hz records go through its card's resampling.
    const classes = ['A', 'B'];
    const m = resnet1d({ leads: 12, samples: 1000, filters: [4, 6, 8], downsample: [4, 2], kernel: 5, dropout: 0, head: 'gap', task: 'multilabel', outputs: 2, classNames: classes, fs: 100, leadNames: [...STANDARD_LEADS], seed: 5 });
    const model = join(dir, 'm.onnx');
    saveModel(model, withCard(m, trainingCard({ leads: [...STANDARD_LEADS], fs: 100, length: 1000 }, { task: 'multilabel', classes }, inspectModel(m))));
    const expl = join(dir, 'expl');
    const e = ecgx('explain', '--model', model, '--record', `${LUDB}/1`, '--method', 'gradcam,ig', '--steps', '4', '--target', 'B', '--out', expl);
    assert.equal(e.code, 0, e.stderr);

    const all = join(dir, 'all.svg');
    const r = ecgx('plot', `${LUDB}/1`, '--explain', expl, '--out', all);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /2 charts\)\n  drawn: record 1 in mV, resampled from 500 Hz to 100 Hz/);
    const doc = parseSvg(readFileSync(all, 'utf8'));
    const charts = doc.children[0]!.children.filter((c) => c.name === 'svg');
    assert.equal(charts.length, 2, 'one chart per method, stacked');
    const ig = readNpy(join(expl, 'integrated-gradients.npy'));
    assert.deepEqual(ig.shape, [1, 12, 1000]);
    for (const [i, method, layer] of [[0, 'gradcam', 'attribution-background'], [1, 'integrated-gradients', 'attribution-trace']] as const) {
      const c = charts[i]!;
      assert.equal(c.attrs['data-fs'], '100', 'drawn at the card\'s rate');
      assert.equal(byClass(c, layer).length, 1, `${method}: ${layer}`);
      assert.equal(byClass(c, layer)[0]!.attrs['data-method'], method);
      assert.ok(byClass(c, 'segment').every((sg) => Number(sg.attrs['data-n1']) <= 1000));
    }
    // The colour scale is the 98th percentile of the record's |IG|, and the legend says so.
    assert.equal(Number(byClass(charts[1]!, 'colorbar')[0]!.attrs['data-scale']), percentileAbs(ig.data, 98));
    assert.ok(readFileSync(all, 'utf8').includes('scale: 98th percentile of |value|'));
    assert.ok(readFileSync(all, 'utf8').includes('integrated-gradients → B'));

    // One method: one chart, in the default layout; --layout methods:V2: strips of V2.
    const one = join(dir, 'one.svg');
    assert.equal(ecgx('plot', `${LUDB}/1`, '--explain', expl, '--method', 'ig', '--out', one).code, 0);
    assert.equal(parseSvg(readFileSync(one, 'utf8')).children[0]!.attrs['data-layout'], '3x4+II');
    const strips = join(dir, 'strips.svg');
    assert.equal(ecgx('plot', `${LUDB}/1`, '--explain', expl, '--layout', 'methods:V2', '--out', strips).code, 0);
    const sd = parseSvg(readFileSync(strips, 'utf8'));
    assert.deepEqual(byClass(sd, 'segment').map((sg) => sg.attrs['data-lead']), ['V2', 'V2']);

    // TLC on the same model: bands and entropy on the same samples, clusters named by the annotated waves.
    const rng = new Rng(1);
    const x = { data: Float32Array.from({ length: 2 * 12 * 1000 }, (_, i) => Math.sin(i / 9) + 0.3 * rng.normal()), shape: [2, 12, 1000] };
    const tlc = await fitTlc(model, { x, fs: 100 }, { k: 3, seed: 0, maxSamples: 2000 }, { progress: false });
    const tlcPath = join(dir, 'tlc.json');
    tlc.save(tlcPath);
    const withTlc = join(dir, 'tlc.svg');
    const t = ecgx('plot', `${LUDB}/1`, '--explain', expl, '--method', 'gradcam', '--tlc', tlcPath, '--model', model, '--out', withTlc);
    assert.equal(t.code, 0, t.stderr);
    const td = parseSvg(readFileSync(withTlc, 'utf8'));
    const bands = byClass(td, 'cluster-band');
    assert.equal(bands.length, tlc.groupNames.length, 'one band per block');
    for (const b of bands) {
      const rects = byClass(b, 'cluster');
      assert.ok(rects.length > 0 && rects.every((c) => Number(c.attrs['data-to']) <= 1000));
    }
    assert.equal(byClass(td, 'entropy').length, tlc.groupNames.length);
    assert.match(readFileSync(withTlc, 'utf8'), /clusters block1 \(named by dominant wave, this record's annotations\)/);

    // A record that explain.json does not hold, and a tensor-only folder: one-line errors.
    const bad = ecgx('plot', `${LUDB}/2`, '--explain', expl, '--out', join(dir, 'x.svg'));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^ecgx: record 2 is not in .*explain\.json \(it explains 1 record\(s\): 1\)\n$/);
    const nom = ecgx('plot', `${LUDB}/1`, '--explain', expl, '--method', 'saliency', '--out', join(dir, 'x.svg'));
    assert.equal(nom.code, 2);
    assert.match(nom.stderr, /--method: 'saliency' is not in .*explain\.json \(it has gradcam, integrated-gradients\)/);
    assert.ok(!existsSync(join(dir, 'x.svg')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

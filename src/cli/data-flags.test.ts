import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OptionError } from '../util/errors.js';
import { runCli } from '../../test/data-paths.js';
import { dataOptions, parseDataList } from './data-flags.js';

test('data flags: --labels, --label-id, --label-match and --dx-map become openDataset options', () => {
  assert.deepEqual(dataOptions({}), {});
  assert.deepEqual(dataOptions({ labels: 'l.csv', 'label-id': 'filename', 'label-match': 'number', 'dx-map': 'dx.csv' }), { labels: { file: 'l.csv', idColumn: 'filename', match: 'number' }, dxMap: 'dx.csv' });
  assert.deepEqual(dataOptions({ labels: 'l.csv', 'dx-map': 'none' }), { labels: { file: 'l.csv' }, dxMap: null });
  assert.throws(() => dataOptions({ 'label-match': 'exact' }), (e: unknown) => e instanceof OptionError && /--label-match: needs --labels/.test(e.message));
  assert.throws(() => dataOptions({ labels: 'l.csv', 'label-match': 'near' }), (e: unknown) => e instanceof OptionError && /expected one of exact\|number\|auto, got 'near'/.test(e.message));
  assert.throws(() => dataOptions({ labels: ' ' }), OptionError);
});

test('--data lists: an empty item is an error naming it, not skipped', () => {
  assert.deepEqual(parseDataList('a, b ,c'), ['a', 'b', 'c']);
  for (const bad of ['a,', ',a', 'a,,b', '', ' ']) assert.throws(() => parseDataList(bad), (e: unknown) => e instanceof OptionError && /--data: item \d of '.*' is empty \(expected DIR\[,DIR\.\.\.\]\)/.test(e.message), bad);
  const base = mkdtempSync(join(tmpdir(), 'ecgx-dl-'));
  try {
    const r = runCli(['pretrain', '--data', 'DS,', '--method', 'masked', '--epochs', '1', '--out', join(base, 'run')]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "ecgx: --data: item 2 of 'DS,' is empty (expected DIR[,DIR...])\n");
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

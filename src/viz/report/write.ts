import { writeFileAtomic, type OutputPolicy } from '../../util/atomic-write.js';
import type { EcgDataset } from '../../data/datasets/types.js';
import { collectModelReport, collectReport, type ReportOptions } from './collect.js';
import { renderReportHtml } from './html.js';

/**
 * Collects, renders and writes the report of a run folder, or of one model on
 * a labelled dataset, to `out` (atomically); returns its size in bytes. An
 * existing `out` is replaced only with `force`.
 */
export async function writeReport(subject: string | { model: string; dataset: EcgDataset; cv?: number; seed?: number; maxRecords?: number }, out: string, opts: ReportOptions & OutputPolicy = {}): Promise<number> {
  const { force, ...rest } = opts;
  const content = typeof subject === 'string' ? await collectReport(subject, rest) : await collectModelReport(subject.model, subject.dataset, { ...rest, ...subject });
  const html = await renderReportHtml(content);
  writeFileAtomic(out, html, { force: force === true });
  return Buffer.byteLength(html);
}

// The self-contained HTML report of a training run (and a fitted TLC).
export { collectReport, collectModelReport, pooledPredictions, type ReportOptions, type ReportContent, type GalleryItem, type TlcCohort, type PooledPredictions } from './collect.js';
export { renderReportHtml } from './html.js';
export { writeReport } from './write.js';

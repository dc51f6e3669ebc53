// ECG charts as SVG (pure, Node and browser) and PNG export (Node).
export { renderEcgSvg, CHART_COLORS, type EcgChartOptions } from './chart.js';
export { chartGeometry, resolveLead, ECG_LAYOUTS, type EcgLayout, type PaperOptions, type ChartGeometry, type RowGeometry, type SegmentGeometry, type PanelGeometry } from './layout.js';
export type { ClusterBands, EntropyTrace, AttributionOverlay, WaveOverlay, EcgOverlays } from './overlays.js';
export { OKABE_ITO, CATEGORICAL, categoricalColor, WAVE_COLORS, colorMap, COLOR_MAPS, type ColorMap, type ColorMapName } from './palettes.js';
export { parseHex, toHex, rgbToLab, deltaE76, simulateCvd, type Rgb, type Lab, type ColorVisionDeficiency } from './color.js';
export { tracePoints, type TraceGeometry } from './decimate.js';
export { svgToPng, svgToRgba, chartFontFiles, DEJAVU_SANS_PATHS, type SvgToPngOptions } from './png.js';
export { attributionDisplay, percentileAbs, defaultStyle, scaleRuleText, DEFAULT_PERCENTILE, type AttributionDisplay, type DisplayOptions, type AttributionStyle } from './attribution.js';
export { readExplanationDir, savedRecord, selectMethods, savedAttribution, drawnRecord, recordTlc, dominantWaves, type SavedExplanation, type SavedRecord, type DrawnSignal, type RecordTlc } from './explained.js';
export { stackSvgs, svgSize } from './stack.js';
export { renderBeatPanelSvg, type BeatPanelOptions } from './beats.js';
export { renderBenchmarkHtml } from './benchmark/report.js';

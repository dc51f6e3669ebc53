// The ground-truth benchmark of ECG explainers (ecgx benchmark explainers).
export { runBenchmark, benchmarkJson, REFERENCES, TLC_CLUSTER_ROW, type BenchmarkResult, type BenchmarkRunOptions, type ScoreSet, type LeaderRow, type ModelInfoRow, type TrapResult, type TrapMethodRow } from './run.js';
export { benchmarkConfig, checkBenchmarkConfig, BENCHMARK_METHOD_OPTIONS, SKIPPED_METHODS, TORCH_MODEL_FILE, type BenchmarkConfig, type BenchmarkModel } from './config.js';
export { scoreAgainstMask, meanCi, SCORE_NAMES, type MaskScores, type MeanCi, type ScoreName } from './scores.js';
export { leaderboardMarkdown } from './markdown.js';

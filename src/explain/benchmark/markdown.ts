/** The benchmark's leaderboard as Markdown (leaderboard.md, and the README's table). */
import { REFERENCES, TLC_CLUSTER_ROW, type BenchmarkResult } from './run.js';

const f = (v: number | undefined): string => (v !== undefined && Number.isFinite(v) ? v.toFixed(3) : '-');

export function leaderboardMarkdown(r: BenchmarkResult): string {
  const trained = r.models.filter((m) => m.kind !== 'untrained');
  const control = r.models.find((m) => m.kind === 'untrained');
  const row = (model: string, method: string) => r.leaderboard.find((x) => x.model === model && x.method === method);
  const head = ['rank', 'method', ...trained.map((m) => `mass acc. ${m.name}`), 'AUROC (mean)', 'pointing (mean)', 'gain over \\|input\\| (mean)', ...(control ? [`mass acc. ${control.name}`] : []), `ms/ECG (${trained[0]?.name ?? ''})`];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---|').join('')}`];
  const mean = (method: string, pick: (x: NonNullable<ReturnType<typeof row>>) => number): number => {
    const v = trained.map((m) => row(m.name, method)).filter((x) => x !== undefined).map((x) => pick(x!));
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
  };
  const cluster = r.leaderboard.some((x) => x.method === TLC_CLUSTER_ROW) ? [TLC_CLUSTER_ROW] : [];
  const methods = [...r.ranking.map((x) => x.method), ...cluster, ...Object.values(REFERENCES)];
  methods.forEach((method, i) => {
    const ref = (Object.values(REFERENCES) as string[]).includes(method) || method === TLC_CLUSTER_ROW;
    const name = ref ? `*${method}*` : method.replace(/\|/g, '\\|');
    lines.push(`| ${ref ? '' : i + 1} | ${name.replace(/\|input\|/g, '\\|input\\|')} | ${trained.map((m) => f(row(m.name, method)?.summary.massAccuracy.mean)).join(' | ')} | ${f(mean(method, (x) => x.summary.auroc.mean))} | ${f(mean(method, (x) => x.summary.pointing.mean))} | ${method === REFERENCES.amplitude ? '-' : f(mean(method, (x) => x.gainOverAmplitude.mean))} |${control ? ` ${f(row(control.name, method)?.summary.massAccuracy.mean)} |` : ''} ${ref ? '-' : (row(trained[0]!.name, method)?.msPerEcg ?? NaN).toFixed(0)} |`);
  });
  if (cluster.length) lines.push('', `*${TLC_CLUSTER_ROW}*: TLC's (layer, cluster) best at detecting the mask on half of the ECGs, scored on the other half; it sees masks, so it is an upper bound for TLC and is not ranked.`);
  return lines.join('\n') + '\n';
}

/** Timing helpers shared by the benchmarks (files starting with '_' are helpers, not benchmarks). */

/** Collects garbage when node runs with --expose-gc (as `npm run bench` does); a no-op otherwise. */
export const gc: () => void = (globalThis as { gc?: () => void }).gc ?? (() => {});

/**
 * Best-of-`reps` seconds for f(), after one warm-up call: wall clock, and this
 * process's CPU time (user + system), which is steadier when other work
 * shares the cores.
 */
export function best(f: () => void, reps = 5): { wall: number; cpu: number } {
  f();
  let wall = Infinity;
  let cpu = Infinity;
  for (let r = 0; r < reps; r++) {
    gc();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    wall = Math.min(wall, (performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1e6);
  }
  return { wall, cpu };
}

/** Median of a list of numbers (NaN for none). */
export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

import { pathToFileURL } from 'node:url';

/** Shared timing rules for the benchmarks, so every side is measured the same way. */

const WARMUP_FRACTION = 0.05;
/** Enough iterations for V8 to optimise the JavaScript paths (ML-KEM, codecs) before timing. */
const MIN_WARMUP = 100;

function warmupFor(count: number): number {
  if (!Number.isInteger(count) || count <= 0) throw new Error(`bad iteration count ${count}`);
  return Math.max(MIN_WARMUP, Math.ceil(count * WARMUP_FRACTION));
}

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

/** Runs `op` for the warm-up, then `count` timed times (with a running index); returns ops/s. */
export function rateSync(count: number, op: (i: number) => void): number {
  const warmup = warmupFor(count);
  let i = 0;
  while (i < warmup) op(i++);
  const start = process.hrtime.bigint();
  while (i < warmup + count) op(i++);
  return count / seconds(start);
}

/** {@link rateSync} for asynchronous operations. */
export async function rateAsync(count: number, op: (i: number) => Promise<void>): Promise<number> {
  const warmup = warmupFor(count);
  let i = 0;
  while (i < warmup) await op(i++);
  const start = process.hrtime.bigint();
  while (i < warmup + count) await op(i++);
  return count / seconds(start);
}

export const round1 = (x: number): number => Math.round(x * 10) / 10;

/** The `p`th percentile (0–100) of values sorted ascending; NaN if there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Iteration counts for each measurement. */
export interface BenchOptions {
  setups: number;
  oneway: number;
  pingpong: number;
}

export const DEFAULT_COUNTS: BenchOptions = { setups: 300, oneway: 20000, pingpong: 4000 };

/** Reads `--setups N --oneway N --pingpong N` (and any extra integer options) from argv. */
export function parseCounts<E extends string = never>(
  argv: string[],
  extra: Record<E, number> = {} as Record<E, number>,
): BenchOptions & Record<E, number> {
  const defaults: Record<string, number> = { ...DEFAULT_COUNTS, ...extra };
  const out: Record<string, number> = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]?.replace(/^--/, '') ?? '';
    const value = Number(argv[i + 1]);
    if (!(name in defaults) || !Number.isInteger(value) || value <= 0) {
      throw new Error(
        `usage: ${Object.keys(defaults)
          .map((k) => `--${k} N`)
          .join(' ')} (positive integers)`,
      );
    }
    out[name] = value;
  }
  return out as BenchOptions & Record<E, number>;
}

/** Whether the module at `url` is the script node was started with. */
export function isMain(url: string): boolean {
  return url === pathToFileURL(process.argv[1] ?? '').href;
}

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

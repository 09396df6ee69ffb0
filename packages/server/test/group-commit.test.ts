/**
 * Group commit (group-commit.ts) over a scripted writer: what arrives in one turn is one batch,
 * one batch is written at a time, each operation gets its own outcome, a failed batch fails its
 * operations alone, and a writer off the event loop is handed the next batch before the last
 * one's callers are answered (a pipelined one, two batches at a time), while one on it answers
 * them first.
 */
import { describe, expect, it } from 'vitest';
import { StorageError } from '../src/storage/errors.ts';
import { type BatchWriter, GroupCommit, type Outcome } from '../src/storage/sqlite/group-commit.ts';

/**
 * A writer whose batches stay in flight until the test settles them, oldest first; it logs what
 * happens. `pipelined`: it takes a second batch while one is in flight (never a third).
 */
function scriptedWriter(overlaps: boolean, pipelined = false) {
  const log: string[] = [];
  const inFlight: { ops: readonly number[]; settle: (outcomes: Outcome<number>[] | Error) => void }[] = [];
  let writing = 0;
  const writer: BatchWriter<number, number> = {
    overlaps,
    pipelined,
    write(ops) {
      if (writing === (pipelined ? 2 : 1)) throw new Error('too many batches in flight');
      writing++;
      log.push(`write ${ops.join(',')}`);
      return new Promise((resolve, reject) => {
        inFlight.push({
          ops,
          settle: (outcomes) => {
            writing--;
            if (outcomes instanceof Error) reject(outcomes);
            else resolve(outcomes);
          },
        });
      });
    },
  };
  /** Settles the batch in flight: each op's value is itself × 10, or `refuse` refuses it. */
  const commit = (refuse: (op: number) => boolean = () => false) => {
    const batch = inFlight.shift();
    if (batch === undefined) throw new Error('no batch in flight');
    batch.settle(
      batch.ops.map((op) =>
        refuse(op) ? { ok: false, error: new StorageError('not-found', 'refused') } : { ok: true, value: op * 10 },
      ),
    );
  };
  const fail = () => inFlight.shift()?.settle(new Error('disk on fire'));
  return { writer, log, commit, fail };
}

/** Until the writer has been handed `count` batches (they start after a setImmediate). */
async function batches(log: string[], count: number): Promise<void> {
  for (let i = 0; i < 100 && log.filter((l) => l.startsWith('write')).length < count; i++) {
    await new Promise((r) => setImmediate(r));
  }
}

/** `run(op)` with its answer logged when the caller sees it. */
function logged(commits: GroupCommit<number, number>, log: string[], op: number): Promise<number> {
  return commits.run(op).then(
    (value) => {
      log.push(`answered ${op}`);
      return value;
    },
    (error: unknown) => {
      log.push(`failed ${op}`);
      throw error;
    },
  );
}

describe('group commit', () => {
  it('writes what arrives in one turn as one batch, each operation with its own outcome', async () => {
    const { writer, log, commit } = scriptedWriter(true);
    const commits = new GroupCommit(writer);
    const results = [1, 2, 3].map((op) => commits.run(op));
    await batches(log, 1);
    commit((op) => op === 2);
    await expect(results[0]).resolves.toBe(10);
    await expect(results[1]).rejects.toMatchObject({ code: 'not-found' });
    await expect(results[2]).resolves.toBe(30);
    expect(log).toEqual(['write 1,2,3']);
  });

  it('hands a writer off the event loop the next batch before answering the last one', async () => {
    const { writer, log, commit } = scriptedWriter(true);
    const commits = new GroupCommit(writer);
    const first = logged(commits, log, 1);
    await batches(log, 1);
    // Queued while batch 1 is in flight: the next batch, not a second one in flight.
    const later = [logged(commits, log, 2), logged(commits, log, 3)];
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['write 1']);
    commit();
    await first;
    // Batch 2 went to the writer before the caller of batch 1 was answered.
    expect(log).toEqual(['write 1', 'write 2,3', 'answered 1']);
    commit();
    await Promise.all(later);
    expect(log).toEqual(['write 1', 'write 2,3', 'answered 1', 'answered 2', 'answered 3']);
  });

  it('gives a pipelined writer its next batch while it writes one, two at most, and answers in order', async () => {
    const { writer, log, commit, fail } = scriptedWriter(false, true);
    const commits = new GroupCommit(writer, { maxBatch: 2 });
    const first = logged(commits, log, 1);
    await batches(log, 1);
    // Queued while batch 1 is in flight: written at its outcomes, two batches' worth at once.
    const later = [2, 3, 4, 5, 6].map((op) => logged(commits, log, op));
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['write 1']);
    commit();
    await first;
    // Two batches went to the writer before the caller of batch 1 was answered; the third waits.
    expect(log).toEqual(['write 1', 'write 2,3', 'write 4,5', 'answered 1']);
    fail(); // batch 2,3 fails alone
    await Promise.allSettled(later.slice(0, 2));
    expect(log.slice(4)).toEqual(['write 6', 'failed 2', 'failed 3']);
    commit();
    commit();
    await expect(Promise.all(later.slice(2))).resolves.toEqual([40, 50, 60]);
    expect(log.slice(7)).toEqual(['answered 4', 'answered 5', 'answered 6']);
  });

  it('answers the callers of a batch written on the event loop before handing it the next', async () => {
    const { writer, log, commit } = scriptedWriter(false);
    const commits = new GroupCommit(writer);
    const first = logged(commits, log, 1);
    await batches(log, 1);
    const later = [logged(commits, log, 2), logged(commits, log, 3)];
    commit();
    await first;
    await batches(log, 2);
    expect(log).toEqual(['write 1', 'answered 1', 'write 2,3']);
    commit();
    await expect(Promise.all(later)).resolves.toEqual([20, 30]);
  });

  it('fails every operation of a batch that failed, and writes the next batch', async () => {
    for (const overlaps of [true, false]) {
      const { writer, log, commit, fail } = scriptedWriter(overlaps);
      const commits = new GroupCommit(writer);
      const first = logged(commits, log, 1);
      const second = logged(commits, log, 2);
      await batches(log, 1);
      const third = logged(commits, log, 3);
      fail();
      // Nothing of the failed batch was stored: a dependency failure, the driver's words unseen.
      for (const p of [first, second]) {
        const error = await p.catch((e: unknown) => e);
        expect(StorageError.is(error) && error.code).toBe('dependency');
        expect(String((error as Error).message)).not.toContain('disk on fire');
      }
      await batches(log, 2);
      commit();
      await expect(third).resolves.toBe(30);
      expect(log.filter((l) => l.startsWith('write'))).toEqual(['write 1,2', 'write 3']);
    }
  });

  it('splits a queue longer than the largest batch', async () => {
    const { writer, log, commit } = scriptedWriter(true);
    const commits = new GroupCommit(writer, { maxBatch: 2 });
    const all = [1, 2, 3, 4, 5].map((op) => commits.run(op));
    await batches(log, 1);
    commit();
    await batches(log, 2);
    commit();
    await batches(log, 3);
    commit();
    await expect(Promise.all(all)).resolves.toEqual([10, 20, 30, 40, 50]);
    expect(log).toEqual(['write 1,2', 'write 3,4', 'write 5']);
  });
});

/**
 * Checking delivery signatures and ownership proofs (protocol §3.6–3.7) off the event loop.
 * Ed25519 verification was the largest single cost of a delivery (29% of the server's time under
 * bench:server), and it ran on the one thread that also parses frames, runs SQLite and pushes
 * messages; a reconnect storm's proofs (a subscription and a sending proof per client, each key
 * new to the process) held the event loop for over a second per 2,000 clients. A
 * {@link ThreadVerifier} sends the checks to a worker thread instead, in batches (whatever
 * arrived while the previous batch was checked is one transferred buffer, see verify-batch.ts),
 * so the main thread only copies a few hundred bytes per check and a second core does the curve
 * arithmetic. The checks themselves are still the protocol library's (`checkDelivery`,
 * `checkMailboxAccess`, …), run in the worker: nothing of the signature formats or the
 * cryptography is re-implemented here.
 *
 * If the worker dies, the checks in flight fail (the deliveries are answered `internal`, nothing
 * is stored) and the next check starts a new worker.
 *
 * @example
 * ```ts
 * const verifier = new ThreadVerifier();
 * if (!(await verifier.check('delivery', senderKey, mailboxId, envelope, signature))) refuse();
 * await verifier.close();
 * ```
 */
import { Worker } from 'node:worker_threads';
import type { ProtocolEnv } from '@parley/protocol';
import { encodeJobs, SIGNATURE_CHECKS, type SignatureKind, type VerifyJob } from './verify-batch.ts';

export type { SignatureKind } from './verify-batch.ts';

/** A delivery's operation: none (its signature covers the envelope). */
const NO_OPERATION = new Uint8Array(0);

export interface SignatureVerifier {
  /**
   * Whether `signature` is `key`'s signature of this kind over the object id and the payload
   * (the envelope of a delivery, the challenge of a proof) and, for a proof, the operation it
   * authorises (protocol §3.5.1; none for a delivery).
   */
  check(
    kind: SignatureKind,
    key: Uint8Array,
    id: Uint8Array,
    payload: Uint8Array,
    signature: Uint8Array,
    operation?: Uint8Array,
  ): Promise<boolean>;
  /** Stops any thread it started. */
  close(): Promise<void>;
}

/** The verifier the server was given, else checks on the calling thread (tests run without one). */
export function verifierOf(deps: {
  readonly verifier?: SignatureVerifier;
  readonly env: ProtocolEnv;
}): SignatureVerifier {
  return deps.verifier ?? inlineVerifier(deps.env);
}

/** Checks on the calling thread (tests, and anywhere a thread is not worth it). */
export function inlineVerifier(env: ProtocolEnv): SignatureVerifier {
  return {
    check: async (kind, key, id, payload, signature, operation = NO_OPERATION) => {
      try {
        return SIGNATURE_CHECKS[kind](env, key, id, payload, operation, signature);
      } catch {
        return false; // malformed input is a signature that does not verify
      }
    },
    close: async () => {},
  };
}

interface Waiter {
  resolve(ok: boolean): void;
  reject(error: unknown): void;
}

/** The worker's script: a plain module that loads tsx, then the TypeScript worker body. */
const WORKER_URL = new URL('./delivery-verifier-worker.mjs', import.meta.url);

export class ThreadVerifier implements SignatureVerifier {
  #worker: Worker | null = null;
  /** Checks not yet posted: they go together on the next turn of the event loop. */
  #jobs: VerifyJob[] = [];
  #waiting: Waiter[] = [];
  /** Posted batches, oldest first (at most one); the worker answers them in order. */
  readonly #inFlight: Waiter[][] = [];
  #scheduled = false;

  check(
    kind: SignatureKind,
    key: Uint8Array,
    id: Uint8Array,
    payload: Uint8Array,
    signature: Uint8Array,
    operation: Uint8Array = NO_OPERATION,
  ): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#jobs.push({ kind, key, id, payload, operation, signature });
      this.#waiting.push({ resolve, reject });
      // One batch at a time: while the worker is busy, checks gather for the next one. Each post
      // wakes the other thread (a system call and often a context switch), so under load fewer,
      // larger batches cost the event loop far less than one post per turn.
      if (!this.#scheduled && this.#inFlight.length === 0) {
        this.#scheduled = true;
        setImmediate(() => this.#post());
      }
    });
  }

  /**
   * Starts the thread and waits until it answers (a check of zero bytes, which fails), so that
   * the first delivery does not wait for the thread to load: 0.5-0.9 s on this machine.
   */
  async warm(): Promise<void> {
    await this.check('delivery', new Uint8Array(32), new Uint8Array(16), new Uint8Array(1), new Uint8Array(64));
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    if (worker !== null) await worker.terminate();
  }

  #post(): void {
    this.#scheduled = false;
    const jobs = this.#jobs;
    const waiting = this.#waiting;
    this.#jobs = [];
    this.#waiting = [];
    if (jobs.length === 0) return;
    this.#inFlight.push(waiting);
    const batch = encodeJobs(jobs);
    const worker = this.#start();
    worker.ref(); // answers are awaited: keep the process alive until they come
    worker.postMessage(batch, [batch.buffer]);
  }

  #start(): Worker {
    if (this.#worker !== null) return this.#worker;
    const worker = new Worker(WORKER_URL);
    worker.unref(); // an idle verifier does not keep the process alive (see #post)
    // One byte per job, in order: 1 if its signature verified.
    worker.on('message', (results: Uint8Array) => {
      const batch = this.#inFlight.shift() ?? [];
      batch.forEach((w, i) => {
        w.resolve(results[i] === 1);
      });
      if (this.#jobs.length > 0 && !this.#scheduled) this.#post();
      else if (this.#inFlight.length === 0) worker.unref();
    });
    const fail = (error: unknown) => {
      if (this.#worker === worker) this.#worker = null;
      for (const batch of this.#inFlight.splice(0)) for (const w of batch) w.reject(error);
      // Checks that gathered meanwhile go to a new worker.
      if (this.#jobs.length > 0 && !this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#post());
      }
    };
    worker.on('error', fail);
    worker.on('exit', () => fail(new Error('the delivery verifier stopped')));
    this.#worker = worker;
    return worker;
  }
}

/**
 * Linking this (new) device N to an account (docs/client.md §4.10, protocol §14.2): the request
 * into the link's `up` mailbox, the reply from `down`, the code, the user's confirmation, then the
 * grant — from which the profile is made in one commit — and the contacts and history in chunks,
 * each stored and then acknowledged. Every step is committed in the `linking` record first.
 *
 * Before the grant nothing but that record is in the store: any failure (or a restart) there
 * leaves an empty store (`ParleyClient.join` deletes the record; the Node wiring the profile).
 */
import {
  generateEd25519,
  LINK_REPLY_BYTES,
  LinkFrameKind,
  linkFinish,
  linkRequest,
  type ProtocolEnv,
  ProtocolError,
} from '@parley/protocol';
import { LINKING_ID, type NewLinking } from '../engine/link-state.ts';
import { decodeLinkBody, type GrantBody, type HistoryChoice, tampered } from '../engine/link-wire.ts';
import { type DeviceLink, decodeDeviceLink } from '../engine/links.ts';
import { del, put } from '../engine/records.ts';
import { ClientError } from '../errors.ts';
import type { ServerApiLike } from '../net/server-api-types.ts';
import type { RecordStore } from '../store/record-store.ts';
import type { ClientContext } from './context.ts';
import { applyItems } from './history-transfer.ts';
import {
  codeMismatch,
  deferred,
  deliverLink,
  LINK_POLL_MS,
  linkAborted,
  linkExpired,
  linkUsed,
  openFrame,
  readAfter,
  sealFrame,
  sleep,
} from './link-channel.ts';

export interface JoinOptions {
  /** The `parley://link/…` the existing device shows. */
  readonly link: string;
  /** This device's name, shown on the account's other devices. */
  readonly deviceName: string;
  readonly history: HistoryChoice;
  readonly pollMs?: number;
  /** Items (contacts and messages) stored so far, of `total`. */
  readonly onProgress?: (p: { readonly received: number; readonly total: number }) => void;
}

/** The new device's side of one linking. */
export interface JoinSession<C> {
  /** True when this resumes a history transfer a restart interrupted. */
  readonly resumed: boolean;
  code(): Promise<string>;
  confirm(same: boolean): void;
  confirmCode(digits: string): void;
  cancel(): void;
  /** Resolves with the client of the new profile once everything arrived. */
  readonly done: Promise<C>;
}

export interface JoinDeps {
  readonly store: RecordStore;
  readonly env: ProtocolEnv;
  api(url: string): ServerApiLike;
}

/** What the facade does with the grant: the profile committed, a context to go on with. */
export type MakeProfile = (grant: GrantBody, server: string, state: NewLinking) => Promise<ClientContext>;

export function decodeJoinLink(env: ProtocolEnv, link: string): DeviceLink & { payload: Uint8Array } {
  const l = decodeDeviceLink(env, link);
  if (l.expiresAt <= env.now()) throw linkExpired();
  return l;
}

/** Starts the join (the store holds nothing yet) or, with `resume`, goes on with a transfer. */
export function join<C>(
  deps: JoinDeps,
  options: JoinOptions,
  makeProfile: MakeProfile,
  clientOf: (ctx: ClientContext) => C,
  resume: { state: NewLinking; ctx: ClientContext } | null,
): JoinSession<C> {
  const env = deps.env;
  const link = decodeDeviceLink(env, options.link);
  const api = deps.api(link.server);
  const pollMs = options.pollMs ?? LINK_POLL_MS;
  const code = deferred<string>();
  const answer = deferred<'same' | 'rejected' | 'mismatch'>();
  let cancelled = false;
  let state: NewLinking | null = resume?.state ?? null;
  if (state?.keys !== undefined) code.resolve(state.keys.sas);
  const up = link.up;
  const down = { id: link.down.id, recipientPrivateKey: link.down.recipientPrivateKey };

  const save = async (s: NewLinking, more: Parameters<RecordStore['commit']>[0] = []) => {
    await deps.store.commit([...more, put('linking', LINKING_ID, s)]);
    state = s;
    return s;
  };
  const send = async (kind: LinkFrameKind, body: never, commit: (s: NewLinking) => Promise<unknown> = save) => {
    const s = state;
    if (s?.keys === undefined) throw new ClientError('internal', 'No link keys.');
    await commit({ ...s, sendIndex: s.sendIndex + 1 });
    await deliverLink(api, up, sealFrame(env, s.keys.toExisting, kind, s.sendIndex, body));
  };
  const frames = async () => {
    const s = state;
    if (s?.keys === undefined) throw new ClientError('internal', 'No link keys.');
    const envelopes = await readAfter(api, down, s.readSeq);
    const out: { kind: LinkFrameKind; index: number; plaintext: Uint8Array; seq: number }[] = [];
    let recvIndex = s.recvIndex;
    for (const e of envelopes) {
      const f = openFrame(env, s.keys.toNew, e.envelope);
      if (f.index <= recvIndex) continue;
      recvIndex = f.index;
      out.push({ ...f, seq: e.seq });
    }
    return { out, last: envelopes.at(-1)?.seq ?? s.readSeq, seqs: envelopes.map((e) => e.seq) };
  };
  const abortOf = (plaintext: Uint8Array) => {
    const { reason } = decodeLinkBody(LinkFrameKind.abort, plaintext);
    return reason === 'code-mismatch'
      ? codeMismatch()
      : reason === 'tampered'
        ? tampered()
        : reason === 'expired'
          ? linkExpired()
          : linkAborted(reason === 'rejected' ? 'rejected' : 'failed');
  };

  const handshake = async (): Promise<NewLinking> => {
    if (link.expiresAt <= env.now()) throw linkExpired();
    if ((await readAfter(api, down, 0)).length > 0) throw linkUsed();
    const deviceKeys = generateEd25519(env);
    const { secret, request } = linkRequest(env, deviceKeys.publicKey);
    let s = await save({
      v: 2,
      role: 'new',
      stage: 'requested',
      link: options.link.trim(),
      deviceName: options.deviceName,
      history: options.history,
      deviceKeys,
      request,
      requestSecret: { ephemeral: secret.ephemeral, kem: secret.kem },
      sendIndex: 0,
      recvIndex: -1,
      readSeq: 0,
    });
    await deliverLink(api, up, request);
    for (;;) {
      if (cancelled) throw linkAborted('cancelled');
      if (env.now() > link.expiresAt) throw linkExpired();
      const envelopes = await readAfter(api, down, s.readSeq);
      const reply = envelopes.find((e) => e.envelope.length === LINK_REPLY_BYTES);
      if (reply === undefined) {
        if (envelopes.length > 0) throw tampered(); // a frame before any reply
        await sleep(pollMs);
        continue;
      }
      let keys: NewLinking['keys'];
      try {
        keys = linkFinish(
          env,
          { ...s.requestSecret, request: s.request },
          link.payload,
          link.commitment,
          reply.envelope,
        );
      } catch (e) {
        if (e instanceof ProtocolError) throw tampered();
        throw e;
      }
      s = await save({ ...s, stage: 'code', keys, readSeq: reply.seq });
      code.resolve(keys.sas);
      break;
    }
    // The user's answer, watching for E's abort meanwhile.
    for (;;) {
      const { out, last } = await frames();
      for (const f of out) {
        if (f.kind === LinkFrameKind.abort) throw abortOf(f.plaintext);
        throw tampered(); // nothing else may come before our confirm
      }
      if (last !== s.readSeq) s = await save({ ...s, readSeq: last });
      if (answer.settled) break;
      await Promise.race([sleep(pollMs), answer.promise]);
    }
    const said = await answer.promise;
    if (said !== 'same') throw said === 'mismatch' ? codeMismatch() : linkAborted(cancelled ? 'cancelled' : 'rejected');
    await send(LinkFrameKind.confirm, { history: s.history, deviceName: s.deviceName } as never, (n) =>
      save({ ...n, stage: 'confirmed' }),
    );
    return state as NewLinking;
  };

  const waitGrant = async (): Promise<{ grant: GrantBody; s: NewLinking }> => {
    const deadline = link.expiresAt + 10 * 60_000;
    for (;;) {
      const s = state as NewLinking;
      const { out } = await frames();
      for (const f of out) {
        if (f.kind === LinkFrameKind.abort) throw abortOf(f.plaintext);
        if (f.kind !== LinkFrameKind.grant) throw tampered();
        return {
          grant: decodeLinkBody(LinkFrameKind.grant, f.plaintext),
          s: { ...s, recvIndex: f.index, readSeq: f.seq },
        };
      }
      if (env.now() > deadline) throw linkExpired();
      await sleep(pollMs);
    }
  };

  const receive = async (ctx: ClientContext): Promise<C> => {
    const commit = (s: NewLinking, more: Parameters<RecordStore['commit']>[0] = []) =>
      ctx.commit([...more, put('linking', LINKING_ID, s)]).then(() => {
        state = s;
        return s;
      });
    for (;;) {
      const { out, last, seqs } = await frames();
      for (const f of out) {
        const s = { ...(state as NewLinking), recvIndex: f.index, readSeq: f.seq };
        if (f.kind === LinkFrameKind.grant) {
          await commit(s); // resent after E restarted: we have it
        } else if (f.kind === LinkFrameKind.chunk) {
          const { n, items } = decodeLinkBody(LinkFrameKind.chunk, f.plaintext);
          const writes = await applyItems(ctx, items);
          // Applied whatever its number (idempotent); counted once, when it extends the run.
          const fresh = n === (s.chunks ?? 0) + 1;
          const chunks = fresh ? n : (s.chunks ?? 0);
          const received = (s.received ?? 0) + (fresh ? items.length : 0);
          await commit({ ...s, chunks, received }, writes);
          await send(LinkFrameKind.ack, { n: chunks } as never, (x) => commit(x));
          if (fresh)
            options.onProgress?.({ received: Math.min(received, s.total ?? received), total: s.total ?? received });
        } else if (f.kind === LinkFrameKind.end) {
          const { chunks } = decodeLinkBody(LinkFrameKind.end, f.plaintext);
          await commit(s);
          if ((s.chunks ?? 0) >= chunks) {
            await send(LinkFrameKind.ack, { n: chunks, end: true } as never, (x) => commit(x));
            await ctx.commit([del('linking', LINKING_ID)]);
            return clientOf(ctx);
          }
        } else if (f.kind === LinkFrameKind.abort) {
          throw abortOf(f.plaintext);
        } else {
          throw tampered();
        }
      }
      const s = state as NewLinking;
      if (last !== s.readSeq) await commit({ ...s, readSeq: last });
      // Processed and committed: the server may drop them (a long history would fill the mailbox).
      if (seqs.length > 0) await api.ackMailbox(down, seqs).catch(() => undefined);
      if (out.length === 0) await sleep(pollMs);
    }
  };

  const run = async (): Promise<C> => {
    if (resume !== null) return receive(resume.ctx);
    let s: NewLinking;
    try {
      await handshake();
      const g = await waitGrant();
      s = { ...g.s, stage: 'transfer', chunks: 0, received: 0, total: g.grant.total };
      const ctx = await makeProfile(g.grant, link.server, s);
      state = s;
      return await receive(ctx);
    } catch (e) {
      const before = state === null || state.stage !== 'transfer';
      if (before) {
        // Tell E, when we can, then leave the store as it was: empty.
        const s0 = state as NewLinking | null;
        if (s0?.keys !== undefined && !ClientError.is(e, 'link-used')) {
          const reason = ClientError.is(e, 'link-code-mismatch')
            ? 'code-mismatch'
            : ClientError.is(e, 'link-tampered')
              ? 'tampered'
              : ClientError.is(e, 'link-expired')
                ? 'expired'
                : cancelled
                  ? 'cancelled'
                  : 'rejected';
          await deliverLink(
            api,
            up,
            sealFrame(env, s0.keys.toExisting, LinkFrameKind.abort, s0.sendIndex, { reason }),
          ).catch(() => undefined);
        }
        await deps.store.commit([del('linking', LINKING_ID)]).catch(() => undefined);
      }
      code.reject(e);
      throw e;
    }
  };
  const done = run();
  done.catch(() => undefined);
  return {
    resumed: resume !== null,
    code: () => code.promise,
    confirm: (same) => answer.resolve(same ? 'same' : 'rejected'),
    confirmCode: (digits) => answer.resolve(digits.trim() === state?.keys?.sas ? 'same' : 'mismatch'),
    cancel: () => {
      cancelled = true;
      answer.resolve('rejected');
    },
    done,
  };
}

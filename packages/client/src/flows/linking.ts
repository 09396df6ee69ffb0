/**
 * Linking a new device, on the existing device E (docs/client.md §4.10, protocol §14.2). E makes
 * the two link mailboxes and the commitment and shows the link; then, each step committed in the
 * `linking` record before the next:
 *
 *   waiting   read N's request from `up`, reply on `down`          → the code on both screens
 *   code      the user's confirmation here AND N's `confirm` frame  (either declines: abort)
 *   granting  choose N's device id, certify N's key, register it, publish the new device list,
 *             make `self/<N>` (awaitingIntro), send the grant
 *   transfer  contacts and history in chunks, at most 64 unacknowledged, then `end`
 *   done      both link mailboxes deleted, the record too
 *
 * A restart before `granting` ends the linking (nothing changed anywhere but the link mailboxes,
 * which are deleted); from `granting` on, `linkDevice` resumes it — resending from the oldest
 * unacknowledged chunk.
 */
import {
  LINK_REQUEST_BYTES,
  LinkFrameKind,
  linkCommit,
  linkReply,
  ProtocolError,
  publicIdentity,
} from '@parley/protocol';
import type { ExistingLinking } from '../engine/link-state.ts';
import { LINKING_ID } from '../engine/link-state.ts';
import { type AbortReason, decodeLinkBody, LINK_TTL_MS, tampered } from '../engine/link-wire.ts';
import { encodeDeviceLink } from '../engine/links.ts';
import { del, put } from '../engine/records.ts';
import { ClientError } from '../errors.ts';
import { type ClientContext, getRecord, ignoreGone, newMailbox, ownedMailbox } from './context.ts';
import { transfer } from './history-transfer-send.ts';
import {
  codeMismatch,
  deferred,
  deliverLink,
  LINK_POLL_MS,
  linkAborted,
  linkExpired,
  openFrame,
  readAfter,
  sealFrame,
  sleep,
} from './link-channel.ts';
import { grantBody, grantState, register } from './linking-grant.ts';
import type { LinkDeviceOptions, LinkResult } from './linking-options.ts';

export type { LinkDeviceOptions, LinkResult } from './linking-options.ts';
export { RESEND_AFTER_MS } from './linking-options.ts';

/** The existing device's side of one linking (ParleyClient.linkDevice). */
export interface LinkSession {
  /** `parley://link/…`: show it to the new device (QR code or copy), never through the server. */
  readonly link: string;
  readonly expiresAt: number;
  /** True when this resumes a linking a restart interrupted after both confirmed. */
  readonly resumed: boolean;
  /** True when an earlier linking was found unfinished before the grant and cancelled. */
  readonly cancelledEarlier: boolean;
  /** Resolves with the 6 digits once the new device answered; rejects if the linking ends first. */
  code(): Promise<string>;
  /** The user's answer: do both screens show the same code? */
  confirm(same: boolean): void;
  /** For scripts: the code the user read on the new device (`link-code-mismatch` if it differs). */
  confirmCode(digits: string): void;
  /** Ends the linking (before the grant: nothing is linked). */
  cancel(): void;
  /** The new device is registered and has everything; rejects with the reason it ended. */
  readonly done: Promise<LinkResult>;
}

/** Starts (or resumes) linking a new device. */
export async function linkDevice(ctx: ClientContext, options: LinkDeviceOptions = {}): Promise<LinkSession> {
  if (!ctx.profile.registered) {
    throw new ClientError('usage', 'This device is not registered with its server yet: sync first.');
  }
  let cancelledEarlier = false;
  const earlier = await getRecord(ctx, 'linking', LINKING_ID);
  if (earlier?.role === 'existing') {
    if (earlier.stage === 'granting' || earlier.stage === 'transfer') return drive(ctx, earlier, options, true, false);
    await endLinking(ctx, earlier, 'cancelled');
    cancelledEarlier = true;
  } else if (earlier !== undefined) {
    throw new ClientError('usage', 'This profile is itself being linked to an account.');
  }
  const env = ctx.env;
  const up = await newMailbox(ctx);
  const down = await newMailbox(ctx);
  const { secret, commitment } = linkCommit(env);
  const expiresAt = env.now() + LINK_TTL_MS;
  const { link, payload } = encodeDeviceLink({
    server: ctx.profile.server,
    identity: publicIdentity(ctx.profile.identity),
    up: { id: up.id, senderPrivateKey: up.sender.privateKey },
    down: { id: down.id, recipientPrivateKey: down.recipient.privateKey },
    commitment,
    expiresAt,
  });
  const record: ExistingLinking = {
    v: 2,
    role: 'existing',
    stage: 'waiting',
    link,
    payload,
    expiresAt,
    up,
    down,
    commit: { ephemeral: secret.ephemeral, nonce: secret.nonce },
    sendIndex: 0,
    recvIndex: -1,
    readSeq: 0,
  };
  await save(ctx, record);
  return drive(ctx, record, options, false, cancelledEarlier);
}

async function save(ctx: ClientContext, r: ExistingLinking): Promise<ExistingLinking> {
  await ctx.commit([put('linking', LINKING_ID, r)]);
  return r;
}

/** Deletes both link mailboxes (telling N why first, when it has keys), then the record. */
async function endLinking(ctx: ClientContext, r: ExistingLinking, reason: AbortReason | null): Promise<void> {
  const api = ctx.api(ctx.profile.server);
  if (reason !== null && r.keys !== undefined) {
    const frame = sealFrame(ctx.env, r.keys.toNew, LinkFrameKind.abort, r.sendIndex, { reason });
    await deliverLink(api, { id: r.down.id, senderPrivateKey: r.down.sender.privateKey }, frame).catch(() => undefined);
  }
  // N reads `down` after we are gone only to learn that the link is used.
  await api.deleteMailbox(ownedMailbox(r.up)).catch(ignoreGone);
  if (reason === null) await api.deleteMailbox(ownedMailbox(r.down)).catch(ignoreGone);
  else await api.deleteMailbox(ownedMailbox(r.down)).catch(() => undefined);
  await ctx.commit([del('linking', LINKING_ID)]);
}

function drive(
  ctx: ClientContext,
  start: ExistingLinking,
  options: LinkDeviceOptions,
  resumed: boolean,
  cancelledEarlier: boolean,
): LinkSession {
  const code = deferred<string>();
  const answer = deferred<'same' | 'rejected' | 'mismatch'>();
  const pollMs = options.pollMs ?? LINK_POLL_MS;
  let cancelled = false;
  let state = start;
  if (state.keys !== undefined) code.resolve(state.keys.sas);

  const run = async (): Promise<LinkResult> => {
    const api = ctx.api(ctx.profile.server);
    const down = { id: state.down.id, senderPrivateKey: state.down.sender.privateKey };
    const send = async (kind: LinkFrameKind, body: never) => {
      const keys = state.keys;
      if (keys === undefined) throw new ClientError('internal', 'No link keys.');
      const index = state.sendIndex;
      state = await save(ctx, { ...state, sendIndex: index + 1 });
      await deliverLink(api, down, sealFrame(ctx.env, keys.toNew, kind, index, body));
    };
    /** Frames from N that arrived since the last look, opened and checked, in order. */
    const frames = async () => {
      const out: { kind: LinkFrameKind; plaintext: Uint8Array }[] = [];
      const envelopes = await readAfter(api, ownedMailbox(state.up), state.readSeq);
      let { readSeq, recvIndex } = state;
      for (const e of envelopes) {
        readSeq = Math.max(readSeq, e.seq);
        if (state.keys === undefined) continue;
        let f: ReturnType<typeof openFrame>;
        try {
          f = openFrame(ctx.env, state.keys.toExisting, e.envelope);
        } catch (err) {
          if (e.envelope.length === LINK_REQUEST_BYTES) continue; // a second device's request: the link is used
          throw err;
        }
        if (f.index <= recvIndex) continue; // a replay: processed already
        recvIndex = f.index;
        out.push(f);
      }
      if (envelopes.length > 0) {
        state = await save(ctx, { ...state, readSeq, recvIndex });
        await api
          .ackMailbox(
            ownedMailbox(state.up),
            envelopes.map((e) => e.seq),
          )
          .catch(() => undefined);
      }
      return out;
    };
    const check = () => {
      if (cancelled && (state.stage === 'waiting' || state.stage === 'code')) throw linkAborted('cancelled');
    };

    // waiting: N's request
    while (state.stage === 'waiting') {
      check();
      if (ctx.env.now() > state.expiresAt) throw linkExpired();
      const envelopes = await readAfter(api, ownedMailbox(state.up), state.readSeq);
      const request = envelopes.find((e) => e.envelope.length === LINK_REQUEST_BYTES);
      if (request === undefined) {
        if (envelopes.length > 0) state = await save(ctx, { ...state, readSeq: envelopes.at(-1)?.seq ?? 0 });
        await sleep(pollMs);
        continue;
      }
      let reply: Uint8Array;
      let keys: ExistingLinking['keys'];
      let deviceKey: Uint8Array;
      try {
        const r = linkReply(ctx.env, state.commit, state.payload, request.envelope);
        deviceKey = r.request.deviceKey;
        reply = r.reply;
        keys = r.keys;
      } catch (e) {
        if (e instanceof ProtocolError) throw tampered();
        throw e;
      }
      state = await save(ctx, { ...state, stage: 'code', keys, deviceKey, readSeq: request.seq });
      await deliverLink(api, down, reply);
      code.resolve(keys.sas);
    }

    // code: both confirmations
    while (state.stage === 'code') {
      check();
      if (answer.settled) {
        const said = await answer.promise;
        if (said === 'mismatch') throw codeMismatch();
        if (said === 'rejected') throw linkAborted(cancelled ? 'cancelled' : 'rejected');
        if (!state.userConfirmed) state = await save(ctx, { ...state, userConfirmed: true });
      }
      for (const f of await frames()) {
        if (f.kind === LinkFrameKind.abort) {
          const { reason } = decodeLinkBody(LinkFrameKind.abort, f.plaintext);
          throw reason === 'code-mismatch'
            ? codeMismatch()
            : reason === 'rejected'
              ? linkAborted('rejected')
              : linkAborted('failed');
        }
        if (f.kind !== LinkFrameKind.confirm) throw tampered();
        const peer = decodeLinkBody(LinkFrameKind.confirm, f.plaintext);
        state = await save(ctx, { ...state, peer });
      }
      if (state.userConfirmed && state.peer !== undefined) {
        state = await save(ctx, await grantState(ctx, state));
        break;
      }
      if (ctx.env.now() > state.expiresAt) throw linkExpired();
      await Promise.race([sleep(pollMs), answer.promise.catch(() => undefined)]);
    }

    if (state.stage === 'granting') {
      state = await register(ctx, state);
      await send(LinkFrameKind.grant, (await grantBody(ctx, state)) as never);
    } else if (resumed && !state.grantAcked) {
      // It may not have left before the restart; N keeps the first it gets.
      await send(LinkFrameKind.grant, (await grantBody(ctx, state)) as never);
    }

    // transfer: chunks, acks, end
    return await transfer(
      ctx,
      () => state,
      async (s) => (state = await save(ctx, s)),
      send,
      frames,
      pollMs,
      options,
      check,
    );
  };

  const done = run().then(
    async (result) => {
      await endLinking(ctx, state, null);
      return result;
    },
    async (e: unknown) => {
      const reason: AbortReason = ClientError.is(e, 'link-tampered')
        ? 'tampered'
        : ClientError.is(e, 'link-expired')
          ? 'expired'
          : ClientError.is(e, 'link-code-mismatch')
            ? 'code-mismatch'
            : ClientError.is(e, 'link-aborted')
              ? cancelled
                ? 'cancelled'
                : 'rejected'
              : 'failed';
      // After the grant N is one of our devices: a failure there (our server unreachable, say)
      // leaves the record for `linkDevice` to resume. Before it, everything is undone.
      // N ending it after the grant (link-aborted) or a frame that does not authenticate ends it
      // here too: N, registered by then, stays on the list until removed (`devices remove`).
      const over = ClientError.is(e, 'link-tampered') || ClientError.is(e, 'link-aborted');
      if (state.stage === 'waiting' || state.stage === 'code' || over) {
        await endLinking(ctx, state, reason).catch(() => undefined);
      }
      code.reject(e);
      throw e;
    },
  );
  done.catch(() => undefined);

  return {
    link: state.link,
    expiresAt: state.expiresAt,
    resumed,
    cancelledEarlier,
    code: () => code.promise,
    confirm: (same) => answer.resolve(same ? 'same' : 'rejected'),
    confirmCode: (digits) => answer.resolve(digits.trim() === state.keys?.sas ? 'same' : 'mismatch'),
    cancel: () => {
      cancelled = true;
      answer.resolve('rejected');
    },
    done,
  };
}

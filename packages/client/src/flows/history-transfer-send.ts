/**
 * Sending the history to a linked device (docs/client.md §4.10): chunks within the window of
 * unacknowledged ones, `end`, the acknowledgements, and resending after a restart or a stall.
 */
import { LinkFrameKind } from '@parley/protocol';
import type { ExistingLinking } from '../engine/link-state.ts';
import { decodeLinkBody, MAX_IN_FLIGHT, tampered } from '../engine/link-wire.ts';
import { ClientError } from '../errors.ts';
import type { ClientContext } from './context.ts';
import { buildChunk } from './history-transfer.ts';
import { linkAborted, sleep } from './link-channel.ts';
import { type LinkDeviceOptions, type LinkResult, RESEND_AFTER_MS } from './linking-options.ts';

/**
 * Sends the chunks with at most {@link MAX_IN_FLIGHT} unacknowledged, then `end`, and returns once
 * N acknowledged the last. After a restart the chunks not acknowledged are sent again, with the
 * same numbers, from where the oldest of them started.
 */
export async function transfer(
  ctx: ClientContext,
  get: () => ExistingLinking,
  set: (r: ExistingLinking) => Promise<ExistingLinking>,
  send: (kind: LinkFrameKind, body: never) => Promise<void>,
  frames: () => Promise<{ kind: LinkFrameKind; plaintext: Uint8Array }[]>,
  pollMs: number,
  options: LinkDeviceOptions,
  check: () => void,
): Promise<LinkResult> {
  let r = get();
  const first = r.inFlight?.[0];
  if (first !== undefined) {
    const { ended: _, ...rest } = r;
    r = await set({ ...rest, next: { n: first.n, cursor: first.cursor }, inFlight: [] });
  }
  const total = r.plan?.total ?? 0;
  const resendAfter = options.resendAfterMs ?? RESEND_AFTER_MS;
  let lastProgress = ctx.env.now();
  for (;;) {
    check();
    r = get();
    const plan = r.plan;
    const next = r.next;
    if (plan === undefined || next === undefined || r.newDevice === undefined || r.peer === undefined) {
      throw new ClientError('internal', 'Linking state without a plan.');
    }
    const inFlight = r.inFlight ?? [];
    if (!r.ended && inFlight.length < MAX_IN_FLIGHT) {
      const chunk = await buildChunk(ctx, plan, next.cursor);
      if (chunk.items.length > 0) {
        await set({
          ...r,
          next: { n: next.n + 1, cursor: chunk.next },
          inFlight: [...inFlight, { n: next.n, cursor: next.cursor, items: chunk.items.length }],
          // A resent chunk's skipped messages were counted the first time.
          skipped: (r.skipped ?? 0) + (next.n > (r.sentUpTo ?? 0) ? chunk.skipped : 0),
          sentUpTo: Math.max(r.sentUpTo ?? 0, next.n),
        });
        await send(LinkFrameKind.chunk, { n: next.n, items: chunk.items } as never);
        continue;
      }
      await set({ ...r, ended: true });
      await send(LinkFrameKind.end, { chunks: next.n - 1, skipped: r.skipped ?? 0 } as never);
      continue;
    }
    let progressed = false;
    let acknowledged = false;
    for (const f of await frames()) {
      if (f.kind === LinkFrameKind.abort) throw linkAborted('failed');
      if (f.kind !== LinkFrameKind.ack) throw tampered();
      const { n, end } = decodeLinkBody(LinkFrameKind.ack, f.plaintext);
      const cur = get();
      const done = (cur.inFlight ?? []).filter((c) => c.n <= n);
      const acked = (cur.acked ?? 0) + done.reduce((sum, c) => sum + (c.items ?? 0), 0);
      await set({ ...cur, inFlight: (cur.inFlight ?? []).filter((c) => c.n > n), acked, grantAcked: true });
      if (done.length > 0) {
        acknowledged = true;
        options.onProgress?.({ sent: Math.min(acked, total), total });
      }
      const after = get();
      // Only N's answer to `end` finishes: N then has everything and reads "down" no more, so the
      // mailboxes can go (an ack of the last chunk may come before N has read `end`).
      if (end === true && after.ended && (after.inFlight ?? []).length === 0) {
        return { deviceId: after.newDevice?.id ?? 0, deviceName: after.peer?.deviceName ?? '', items: total };
      }
      progressed = true;
    }
    if (acknowledged) lastProgress = ctx.env.now();
    if (progressed) continue;
    const stalled = get();
    const oldest = stalled.inFlight?.[0];
    if ((oldest !== undefined || stalled.ended) && ctx.env.now() - lastProgress > resendAfter) {
      // No ack for a while: a frame was lost (or withheld). Send again from the oldest
      // unacknowledged chunk (or `end` alone), under new indexes; N stores what it has again,
      // idempotently.
      const { ended: _, ...rest } = stalled;
      const from = oldest === undefined ? {} : { next: { n: oldest.n, cursor: oldest.cursor } };
      await set({ ...rest, ...from, inFlight: [] });
      lastProgress = ctx.env.now();
      continue;
    }
    await sleep(pollMs);
  }
}

import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, MAX_SEQS_PER_REQUEST } from '@parley/protocol';
import { Hono } from 'hono';
import { z } from 'zod';
import type { ApiDeps } from '../../api-deps.ts';
import { deliver } from '../../mailboxes/delivery.ts';
import { mailboxOwnership } from '../../mailboxes/owner-proof.ts';
import { b64url, toB64url } from '../../wire-json.ts';
import { type AuthEnv, requireDevice } from '../device-auth.ts';
import { HttpError } from '../http-error.ts';
import { type OwnedEnv, objectIdOf, requireOwner } from '../owner-auth.ts';
import { readBody } from '../read-body.ts';

const CreateBody = z.strictObject({ recipientKey: b64url(32), senderKey: b64url(32) });
const SendBody = z.strictObject({
  envelope: b64url().refine((b) => b.length >= 1, 'envelope must not be empty'),
  signature: b64url(64),
});
const AckBody = z.strictObject({ seqs: z.array(z.number().int().min(1)).min(1).max(MAX_SEQS_PER_REQUEST) });
const FetchQuery = z.object({
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
});

type MailboxEnv = AuthEnv & OwnedEnv;

export function mailboxRoutes(deps: ApiDeps): Hono<MailboxEnv> {
  const api = new Hono<MailboxEnv>();
  const { mailboxes } = deps;

  /** The owner's proof: the recipient key's signature over a live challenge, this mailbox and this request. */
  const owner = requireOwner<MailboxEnv>(deps.env, 'Parley-Mailbox', mailboxOwnership(deps));
  api.post('/mailboxes', requireDevice(deps), async (c) => {
    const keys = await readBody(c, CreateBody);
    // A rate per account, kept in memory: the mailbox itself stays unlinked (http/quotas.ts).
    deps.quotas?.take(c, 'mailboxes', c.var.caller.account);
    // The caller is authenticated only to keep anonymous abuse out; nothing links the mailbox to it.
    const { mailboxId } = await mailboxes.createMailbox(keys);
    return c.json({ mailboxId: toB64url(mailboxId) }, 201);
  });

  api.post('/mailboxes/:id/messages', async (c) => {
    const id = objectIdOf(c);
    const { envelope, signature } = await readBody(c, SendBody);
    const { seq, duplicate } = await deliver(deps, 'http', id, envelope, signature);
    return c.json({ seq }, duplicate ? 200 : 201);
  });

  api.get('/mailboxes/:id/messages', owner, async (c) => {
    const q = FetchQuery.safeParse(c.req.query());
    if (!q.success)
      throw new HttpError('bad-request', `after and limit must be integers (limit 1 to ${MAX_PAGE_LIMIT})`);
    const messages = await mailboxes.fetch(c.var.objectId, {
      limit: q.data.limit,
      ...(q.data.after === undefined ? {} : { afterSeq: q.data.after }),
    });
    return c.json({
      messages: messages.map((m) => ({ seq: m.seq, envelope: toB64url(m.envelope), receivedAt: m.receivedAt })),
    });
  });

  api.post('/mailboxes/:id/ack', owner, async (c) => {
    const { seqs } = await readBody(c, AckBody);
    return c.json({ deleted: await mailboxes.ack(c.var.objectId, seqs) });
  });

  api.delete('/mailboxes/:id', owner, async (c) => {
    await mailboxes.deleteMailbox(c.var.objectId);
    return c.body(null, 204);
  });

  return api;
}

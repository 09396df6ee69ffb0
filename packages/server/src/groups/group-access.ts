/**
 * Group proofs (protocol group-proof.ts; docs/server.md "Groups"), checked the same way for an
 * HTTP request and a WebSocket `subscribe-group` frame: the proof names a group and an epoch, and
 * must be that epoch's write key's signature over a live challenge, the group id, the epoch and the
 * operation (§3.5.1). A valid proof consumes its challenge; one that fails leaves it live, so that
 * a proof withheld and spent elsewhere cannot burn the request it was made for.
 *
 * Which epochs' keys are accepted is the caller's rule: a post needs the current epoch's (the
 * store refuses any other as `stale-epoch`), a read any epoch whose entries are still kept — and
 * it reads only that epoch's entries (group-reads.ts). An epoch older than every one kept is
 * answered `rejoin` without checking the proof: its key is gone with its entries, and all the
 * answer says — that the log has moved past that epoch — is known to whoever holds the group id.
 * Every other failure, an unknown group included, is `no-valid-proof`, so a prober cannot tell
 * which ids exist.
 */
import { groupProofSubject } from '@parley/protocol';
import type { ApiDeps } from '../api-deps.ts';
import { DomainError } from '../domain-error.ts';
import type { GroupAccess } from '../storage/index.ts';
import { verifierOf } from '../verifier/delivery-verifier.ts';

/** A group proof as it arrived: over HTTP in `Authorization: Parley-Group …`, or in a frame. */
export interface GroupProof {
  readonly groupId: Uint8Array;
  readonly epoch: number;
  readonly challenge: Uint8Array;
  readonly proof: Uint8Array;
}

/** The group's state for a proof that verified, whose key is `access.key`. */
export type ProvedGroupAccess = GroupAccess & { readonly key: NonNullable<GroupAccess['key']> };

function refused(): DomainError {
  return new DomainError('no-valid-proof', 'a valid group proof is required');
}

/**
 * Checks `p` for `operation`; returns the group's state, or throws `no-valid-proof` (or `rejoin`
 * for an epoch older than any kept).
 */
export async function proveGroupAccess(
  deps: ApiDeps,
  p: GroupProof,
  operation: Uint8Array,
): Promise<ProvedGroupAccess> {
  if (!Number.isSafeInteger(p.epoch) || p.epoch < 0) throw refused();
  const access = await deps.groups.access(p.groupId, p.epoch);
  if (access === null) throw refused();
  if (access.key === null) {
    if (p.epoch < access.oldestEpoch) throw new DomainError('rejoin', 'that epoch is no longer kept: rejoin the group');
    throw refused();
  }
  const subject = groupProofSubject(p.groupId, p.epoch);
  const ok =
    (await verifierOf(deps).check('group-access', access.key.writeKey, subject, p.challenge, p.proof, operation)) &&
    (await deps.challenges.consume(p.challenge));
  if (!ok) throw refused();
  return access as ProvedGroupAccess;
}

/**
 * The reader of `epoch` who has seen up to `after` must rejoin if retention deleted anything it
 * needs next: the first entry it wants is the later of `after + 1` and the epoch's first.
 */
export function mustRejoin(access: ProvedGroupAccess, after: number): boolean {
  return Math.max(after + 1, access.key.firstSeq) <= access.trimmedSeq;
}

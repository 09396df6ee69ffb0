/**
 * Challenges for proofs (protocol §3.5–3.7): single-use and short-lived, issued alike by
 * `POST /v1/challenges` and the WebSocket's `challenge` frame, consumed by the first valid proof.
 */
import type { ChallengeStore } from './storage/index.ts';

/** How long a challenge may be answered (docs/server.md: 5 minutes). */
export const CHALLENGE_TTL_MS = 5 * 60 * 1000;

export function issueChallenge(challenges: ChallengeStore): Promise<{ challenge: Uint8Array; expiresAt: number }> {
  return challenges.issue(CHALLENGE_TTL_MS);
}

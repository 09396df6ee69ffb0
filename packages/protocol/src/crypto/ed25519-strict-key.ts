/**
 * The check both backends make of an Ed25519 public key A before verifying with it (docs/protocol.md
 * §1.1 and §1.4 note 2): the canonical encoding of a torsion-free point other than the neutral one.
 * The torsion check is a scalar multiplication by L in @noble/curves (about 1–2 ms here, 20–40
 * Node verifies), so its verdict is remembered by the key's value — a peer's identity or a
 * mailbox's sender key arrives as a new array in every bundle, message or request, and a cache
 * keyed by the array would check it every time. Keys are public, so remembering them leaks nothing;
 * the map is bounded and forgets the oldest first.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { toHex } from '../bytes.ts';

const MAX_REMEMBERED = 10_000;
const verdicts = new Map<string, boolean>();

/** Whether `raw` is the canonical encoding of a torsion-free Ed25519 point other than the neutral one. */
export function isStrictEd25519Key(raw: Uint8Array): boolean {
  if (raw.length !== 32) return false;
  const hex = toHex(raw);
  const known = verdicts.get(hex);
  if (known !== undefined) return known;
  let ok: boolean;
  try {
    const point = ed25519.Point.fromBytes(raw, false);
    ok = !point.isSmallOrder() && point.isTorsionFree();
  } catch {
    ok = false; // not a canonical point encoding
  }
  if (verdicts.size >= MAX_REMEMBERED) verdicts.delete(verdicts.keys().next().value as string);
  verdicts.set(hex, ok);
  return ok;
}

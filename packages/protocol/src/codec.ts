/**
 * Binary reader and writer for Parley's wire formats (docs/protocol.md §2, "Encoding rules").
 * All integers are big-endian and unsigned. Variable-length fields carry a u16 or u32 length
 * prefix. The reader never reads past its input and never allocates more than the input's size:
 * every bound is checked before use, and any violation is a `decode` {@link ProtocolError}.
 */
import { ProtocolError } from './errors.ts';

export class Reader {
  private off = 0;
  private readonly buf: Uint8Array;
  constructor(
    input: Uint8Array,
    private readonly what: string,
  ) {
    // A plain view, so that slice() copies even when the input is a Node Buffer (whose slice()
    // aliases): decoded keys must never share memory with the caller's buffer.
    this.buf = new Uint8Array(input.buffer, input.byteOffset, input.length);
  }

  /** Throws the reader's `decode` error: for checks the caller makes on decoded values. */
  fail(): never {
    throw new ProtocolError('decode', `malformed ${this.what}`);
  }

  get remaining(): number {
    return this.buf.length - this.off;
  }

  u8(): number {
    if (this.off + 1 > this.buf.length) this.fail();
    return this.buf[this.off++] as number;
  }

  u16(): number {
    if (this.off + 2 > this.buf.length) this.fail();
    const b = this.buf;
    const v = ((b[this.off] as number) << 8) | (b[this.off + 1] as number);
    this.off += 2;
    return v;
  }

  u32(): number {
    if (this.off + 4 > this.buf.length) this.fail();
    const v = readU32(this.buf, this.off);
    this.off += 4;
    return v;
  }

  /** u64 limited to Number.MAX_SAFE_INTEGER (timestamps in ms). */
  u53(): number {
    const hi = this.u32();
    const lo = this.u32();
    if (hi > 0x1fffff) this.fail();
    return hi * 0x100000000 + lo;
  }

  bool(): boolean {
    const v = this.u8();
    if (v > 1) this.fail();
    return v === 1;
  }

  /** Exactly `n` bytes, copied so the result never aliases the input. */
  bytes(n: number): Uint8Array {
    if (n < 0 || this.off + n > this.buf.length) this.fail();
    const out = this.buf.slice(this.off, this.off + n);
    this.off += n;
    return out;
  }

  /**
   * An X25519 public key (32 bytes, a little-endian u-coordinate) in its one canonical form:
   * u < p = 2^255 − 19, so the top bit is clear. RFC 7748 §5 has receivers mask the top bit, which
   * makes 2^255 + u and u the same key under two encodings; a message whose key was re-encoded
   * would then derive the same secrets while comparing as a different key (a replay that slips
   * past a check by key bytes, protocol §2). Honest keys are always canonical, so the others are
   * refused.
   */
  x25519Public(): Uint8Array {
    const k = this.bytes(32);
    if (!isCanonicalX25519(k)) this.fail();
    return k;
  }

  /** A u32 device id, which must be ≥ 1. */
  device(): number {
    const d = this.u32();
    if (d === 0) this.fail();
    return d;
  }

  /** u16 length prefix, then that many bytes; `max` bounds the length. */
  var16(max = 0xffff): Uint8Array {
    const n = this.u16();
    if (n > max) this.fail();
    return this.bytes(n);
  }

  /** u32 length prefix, then that many bytes; `max` bounds the length. */
  var32(max: number): Uint8Array {
    const n = this.u32();
    if (n > max) this.fail();
    return this.bytes(n);
  }

  /** A u32 element count, bounded by `max` and by the bytes left (each element ≥ `minSize`). */
  count(max: number, minSize: number): number {
    const n = this.u32();
    if (n > max || n * minSize > this.remaining) this.fail();
    return n;
  }

  /** Everything left. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  /** Asserts the input is fully consumed: trailing bytes are malformed input. */
  end(): void {
    if (this.off !== this.buf.length) this.fail();
  }
}

/** u < 2^255 − 19 for the little-endian u-coordinate `k` (RFC 7748 §5). */
export function isCanonicalX25519(k: Uint8Array): boolean {
  const top = k[31] as number;
  if (top & 0x80) return false;
  if (top < 0x7f) return true;
  // top = 0x7f: u ≥ p only if bytes 30..1 are 0xff and byte 0 is ≥ 0xed (p = 2^255 − 19).
  for (let i = 30; i >= 1; i--) if (k[i] !== 0xff) return true;
  return (k[0] as number) < 0xed;
}

export class Writer {
  private buf: Uint8Array;
  private off = 0;
  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }

  private ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.off + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.off));
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.off++] = v;
    return this;
  }

  u16(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new ProtocolError('usage', 'u16 out of range');
    this.ensure(2);
    this.buf[this.off++] = v >>> 8;
    this.buf[this.off++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new ProtocolError('usage', 'u32 out of range');
    this.ensure(4);
    writeU32(this.buf, this.off, v);
    this.off += 4;
    return this;
  }

  u53(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new ProtocolError('usage', 'u64 out of range');
    this.ensure(8);
    writeU53(this.buf, this.off, v);
    this.off += 8;
    return this;
  }

  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.off);
    this.off += b.length;
    return this;
  }

  var16(b: Uint8Array): this {
    return this.u16(b.length).bytes(b);
  }

  var32(b: Uint8Array): this {
    return this.u32(b.length).bytes(b);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.off);
  }
}

export function writeU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
}

/** A u64 of at most 2^53 − 1 (the caller checks the range), big-endian. */
export function writeU53(buf: Uint8Array, off: number, v: number): void {
  writeU32(buf, off, Math.floor(v / 0x100000000));
  writeU32(buf, off + 4, v >>> 0);
}

export function readU32(buf: Uint8Array, off: number): number {
  return (
    (buf[off] as number) * 0x1000000 +
    (((buf[off + 1] as number) << 16) | ((buf[off + 2] as number) << 8) | (buf[off + 3] as number))
  );
}

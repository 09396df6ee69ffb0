/**
 * Who a request comes from, for rate limits and quotas keyed by source (docs/server.md
 * "Limits and quotas"): the peer address of the connection, or — only when that peer is one of
 * the configured trusted proxies — the address the proxies say they forwarded for
 * (`X-Forwarded-For`, read from the right: the last address a trusted proxy did not add).
 * Anyone else's `X-Forwarded-For` is ignored: a client would otherwise pick its own key.
 *
 * IPv6 addresses are grouped by prefix (/64 by default): a single host is usually given a whole
 * /64, so keying by full address would give one client 2^64 keys. IPv4-mapped IPv6 addresses
 * (`::ffff:192.0.2.1`) count as the IPv4 address they map.
 */
import { BlockList, isIP } from 'node:net';

export interface SourceOptions {
  /** Addresses or CIDR ranges of reverse proxies whose `X-Forwarded-For` is honoured. */
  readonly trustedProxies: readonly string[];
  /** IPv6 addresses with this many leading bits in common are one source (default 64). */
  readonly ipv6PrefixBits: number;
}

export const DEFAULT_SOURCE_OPTIONS: SourceOptions = { trustedProxies: [], ipv6PrefixBits: 64 };

/** Thrown for a trusted-proxy entry that is not an address or CIDR range. */
export class SourceConfigError extends Error {
  override readonly name = 'SourceConfigError';
}

/** An address without an IPv4-mapped prefix or zone: `::ffff:1.2.3.4` → `1.2.3.4`. */
function plain(address: string): string {
  const unzoned = address.split('%')[0] ?? address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(unzoned);
  return mapped?.[1] ?? unzoned;
}

/** The eight 16-bit groups of an IPv6 address (isIP already said it is one). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const middle = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((g) => Number.parseInt(g, 16));
}

/** `address` with only its first `bits` bits kept, as a key: `2001:db8:1:2::/64`. */
function ipv6Prefix(address: string, bits: number): string {
  const groups = ipv6Groups(address).map((g, i) => {
    const keep = Math.max(0, Math.min(16, bits - i * 16));
    return keep === 0 ? 0 : g & (0xffff << (16 - keep)) & 0xffff;
  });
  return `${groups.map((g) => g.toString(16)).join(':')}/${bits}`;
}

/** Reads who a request is from; built once from the configuration. */
export class SourceResolver {
  readonly #proxies = new BlockList();
  readonly #anyProxy: boolean;
  readonly #bits: number;

  constructor(options: SourceOptions = DEFAULT_SOURCE_OPTIONS) {
    for (const entry of options.trustedProxies) {
      const [address = '', prefix] = entry.split('/');
      const family = isIP(address);
      if (family === 0) throw new SourceConfigError(`not an address or CIDR range: ${entry}`);
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) this.#proxies.addAddress(address, type);
      else {
        const n = Number(prefix);
        if (!/^\d+$/.test(prefix) || n > (family === 4 ? 32 : 128))
          throw new SourceConfigError(`not an address or CIDR range: ${entry}`);
        this.#proxies.addSubnet(address, n, type);
      }
    }
    this.#anyProxy = options.trustedProxies.length > 0;
    const bits = options.ipv6PrefixBits;
    if (!Number.isInteger(bits) || bits < 1 || bits > 128)
      throw new SourceConfigError('the IPv6 prefix must be from 1 to 128 bits');
    this.#bits = bits;
  }

  #trusted(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.#proxies.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * The source key of a request from peer `remote` carrying `forwardedFor` (the
   * `X-Forwarded-For` header, if any). Never throws: what cannot be read is its own key.
   */
  source(remote: string | undefined, forwardedFor?: string | null): string {
    let address = plain(remote ?? '');
    if (this.#anyProxy && forwardedFor && this.#trusted(address)) {
      const hops = forwardedFor.split(',').map((h) => plain(h.trim()));
      // From the right: each trusted proxy appends the address it received from.
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = hops[i] ?? '';
        if (isIP(hop) === 0) break; // garbage from the client: keep the last good hop
        address = hop;
        if (!this.#trusted(hop)) break;
      }
    }
    const family = isIP(address);
    if (family === 4) return address;
    if (family === 6) return ipv6Prefix(address, this.#bits);
    return 'unknown';
  }
}

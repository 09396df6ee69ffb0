/**
 * A hostile transport under a real client and a real server: the client's server API and push
 * connection wrapped so that a test can drop, duplicate, reorder, alter, replay and renumber what
 * travels between them (issue 15). Hooks see each call and decide what the client gets; nothing
 * here decrypts or forges a message (it has no keys), like a compromised server or network.
 */
import type { ClientOptions, PushConnection, PushHandlers } from '../src/client-options.ts';
import type { ServerApiLike, StoredEnvelope } from '../src/net/server-api-types.ts';

type Pushed = Parameters<PushHandlers['onMessage']>[0];

export interface Interceptors {
  /** What a mailbox read returns, given what the server returned (the call's arguments too). */
  read?(items: StoredEnvelope[], after: number, limit: number): StoredEnvelope[] | Promise<StoredEnvelope[]>;
  /** Delivers (or not) an envelope; `deliver` is the real delivery. */
  deliver?(envelope: Uint8Array, deliver: (envelope: Uint8Array) => Promise<unknown>): Promise<unknown>;
  /** Hands (or not) a pushed message to the client; `handle` is the client's handler. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing acknowledges, as before `false` existed
  push?(m: Pushed, handle: (m: Pushed) => Promise<boolean | void>): Promise<boolean | void>;
}

/** `base` with its server APIs and push connection under `hooks` (read each time: swap them freely). */
export function hostile(base: ClientOptions, hooks: () => Interceptors): ClientOptions {
  return {
    ...base,
    api: (url) => {
      const api = base.api(url);
      return new Proxy(api, {
        get(target, prop, receiver) {
          if (prop === 'readMailbox') {
            return async (...args: Parameters<ServerApiLike['readMailbox']>) => {
              const items = await target.readMailbox(...args);
              const read = hooks().read;
              return read ? read(items, args[1] ?? 0, args[2] ?? 100) : items;
            };
          }
          if (prop === 'deliver') {
            return async (...args: Parameters<ServerApiLike['deliver']>) => {
              const deliver = hooks().deliver;
              const [id, key, envelope] = args;
              if (!deliver) return target.deliver(...args);
              let answer: Awaited<ReturnType<ServerApiLike['deliver']>> | undefined;
              await deliver(envelope, async (e) => {
                answer = await target.deliver(id, key, e);
              });
              return answer ?? { seq: 0, duplicate: false };
            };
          }
          return Reflect.get(target, prop, receiver);
        },
      });
    },
    push: (url, handlers) => {
      const inner: PushConnection = base.push(url, {
        ...handlers,
        onMessage: (m) => {
          const push = hooks().push;
          return push ? push(m, handlers.onMessage) : handlers.onMessage(m);
        },
      });
      return {
        subscribe: (m) => inner.subscribe(m),
        unsubscribe: (id) => inner.unsubscribe(id),
        close: () => inner.close(),
        get connected() {
          return inner.connected;
        },
        send: async (mailboxId, key, envelope) => {
          const deliver = hooks().deliver;
          if (!deliver) return inner.send(mailboxId, key, envelope);
          let answer: unknown;
          await deliver(envelope, async (e) => {
            answer = await inner.send(mailboxId, key, e);
          });
          return answer;
        },
      };
    },
  };
}

/** A copy of `bytes` with one bit flipped at `bit` (modulo its length). */
export function flipped(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  const i = Math.floor(bit / 8) % out.length;
  out[i] = (out[i] as number) ^ (1 << (bit % 8));
  return out;
}

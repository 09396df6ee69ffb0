/**
 * Which record owns each of our mailboxes (by base64url mailbox id): the contact's device or the
 * invitation an envelope that arrived there belongs to. Built from the records on first use and
 * dropped whenever a device or invitation is added or removed (see {@link MailboxRoutes.committed}). Kept in
 * memory only: mailbox ids never appear in the clear in the local store.
 */
import { decodeAs } from '../engine/record-schemas.ts';
import { mailboxKey } from '../engine/records.ts';
import type { RecordStore, RecordWrite } from '../store/record-store.ts';

export interface Route {
  readonly kind: 'device' | 'invitation';
  readonly id: string;
}

/** The routes, and the records indexed. */
interface Routes {
  readonly byMailbox: Map<string, Route>;
  readonly records: Set<string>;
}

export class MailboxRoutes {
  private cache: Routes | null = null;

  async get(store: RecordStore, mailbox: string): Promise<Route | undefined> {
    if (this.cache === null) {
      const routes: Routes = { byMailbox: new Map(), records: new Set() };
      const add = (mailbox: Uint8Array, kind: Route['kind'], id: string) => {
        routes.byMailbox.set(mailboxKey(mailbox), { kind, id });
        routes.records.add(`${kind}/${id}`);
      };
      for (const r of await store.list('device')) {
        const d = decodeAs('device', r.value);
        add(d.myMailbox.id, 'device', d.id);
      }
      for (const r of await store.list('invitation')) {
        const i = decodeAs('invitation', r.value);
        add(i.mailbox.id, 'invitation', i.id);
      }
      this.cache = routes;
    }
    return this.cache.byMailbox.get(mailbox);
  }

  /** After a commit: a device or invitation created or deleted invalidates the routes. */
  committed(writes: readonly RecordWrite[]): void {
    const known = this.cache;
    if (known === null) return;
    for (const w of writes) {
      if (
        (w.kind === 'device' || w.kind === 'invitation') &&
        (w.value === null || !known.records.has(`${w.kind}/${w.id}`))
      ) {
        this.cache = null;
        return;
      }
    }
  }
}

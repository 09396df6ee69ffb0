/**
 * Which record owns each of our mailboxes (by base64url mailbox id): the contact or invitation an
 * envelope that arrived there belongs to. Built from the records on first use and dropped whenever
 * a contact or invitation is added or removed (see {@link MailboxRoutes.committed}). Kept in
 * memory only: mailbox ids never appear in the clear in the local store.
 */
import { type ContactRecord, decodeRecord, type InvitationRecord, mailboxKey } from './engine/records.ts';
import type { RecordStore, RecordWrite } from './store/record-store.ts';

export interface Route {
  readonly kind: 'contact' | 'invitation';
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
      for (const r of await store.list('contact')) {
        const c = decodeRecord<ContactRecord>(r.value);
        add(c.myMailbox.id, 'contact', c.id);
      }
      for (const r of await store.list('invitation')) {
        const i = decodeRecord<InvitationRecord>(r.value);
        add(i.mailbox.id, 'invitation', i.id);
      }
      this.cache = routes;
    }
    return this.cache.byMailbox.get(mailbox);
  }

  /** After a commit: a contact or invitation created or deleted invalidates the routes. */
  committed(writes: readonly RecordWrite[]): void {
    const known = this.cache;
    if (known === null) return;
    for (const w of writes) {
      if (
        (w.kind === 'contact' || w.kind === 'invitation') &&
        (w.value === null || !known.records.has(`${w.kind}/${w.id}`))
      ) {
        this.cache = null;
        return;
      }
    }
  }
}

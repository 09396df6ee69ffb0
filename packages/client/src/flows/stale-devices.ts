/**
 * The stale-device check (docs/client.md §4.9), run at every sync and on the delivery timer:
 * marks and reports devices — contacts' and our own — unheard from for the stale periods.
 */
import type { DomainEvent } from '../engine/events.ts';
import { put } from '../engine/records.ts';
import { staleStep } from '../engine/stale-devices.ts';
import type { RecordWrite } from '../store/record-store.ts';
import { type ClientContext, getRecord, listRecords } from './context.ts';
import { deviceTimes } from './own-devices.ts';

export async function checkStaleDevices(ctx: ClientContext): Promise<void> {
  const times = deviceTimes(ctx);
  const events = await ctx.serial(async () => {
    const now = ctx.env.now();
    const writes: RecordWrite[] = [];
    const events: DomainEvent[] = [];
    for (const d of await listRecords(ctx, 'device')) {
      const step = staleStep(d, now, times);
      if (step === null) continue;
      writes.push(put('device', d.id, step.device));
      if (step.kind === 'start') continue;
      const contact = await getRecord(ctx, 'contact', d.contactId);
      if (contact !== undefined) {
        events.push({ type: 'device-stale', contact, device: d.device, dropped: step.kind === 'dropped' });
      }
    }
    if (writes.length > 0) await ctx.commit(writes);
    return events;
  });
  ctx.emit(events);
}

/** MemoryRecordStore (store/memory.ts) against the RecordStore conformance suite. */
import { MemoryRecordStore } from '../src/store/memory.ts';
import { describeRecordStore } from './record-store-conformance.ts';

describeRecordStore('MemoryRecordStore', async () => new MemoryRecordStore());

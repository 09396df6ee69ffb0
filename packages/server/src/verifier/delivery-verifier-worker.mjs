// The delivery verifier's worker thread (delivery-verifier.ts). Workers do not inherit the main
// thread's tsx loader, so this registers it, as bin/parley-server.mjs does, then loads the body.
import { register } from 'tsx/esm/api';

register();
await import('./delivery-verifier-thread.ts');

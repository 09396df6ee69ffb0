/**
 * Runs before the rest of the app (the first import of main.tsx): what keeps it within its
 * Content-Security-Policy (docs/web.md). zod, which the SDK parses every answer with, probes
 * `new Function('')` once to decide whether to compile its parsers; under `script-src 'self'`
 * and Trusted Types the probe is refused — harmlessly, but reported as a CSP violation on every
 * load, which would hide a real one. `jitless` skips the probe; parsing is the same, interpreted.
 */
import { config } from 'zod';

config({ jitless: true });

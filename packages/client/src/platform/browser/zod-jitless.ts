/**
 * Imported first by the browser entry, before any schema exists: zod compiles fast object
 * parsers with `new Function` where it may, and decides that by trying `new Function('')` once
 * when its first object schema is built. Under the web app's Content-Security-Policy (no
 * 'unsafe-eval') that try fails harmlessly but is reported as a `script-src eval` violation at
 * every page load — noise that would hide a real injection report. `jitless` skips the probe and
 * the compilation; parsing stays the same, interpreted (a strict CSP forbids the compiled path
 * anyway). Checked by the strict-CSP test of indexeddb-browser.test.ts.
 */
import { z } from 'zod';

z.config({ jitless: true });

#!/usr/bin/env -S node --max-semi-space-size=32
// Runs the server from its TypeScript sources (the workspace ships no build step yet).
//
// --max-semi-space-size=32 (MB; V8's default on this machine is 16): at full load a message's
// objects live ~100 ms, longer than a 16 MB young generation lasts, so scavenges copied and
// promoted them and V8's helper threads marked them again. In bench:server, three runs of each
// in alternation (docs/benchmarks.md "Late session"): 63–76 µs of server CPU a message against
// 77–87 µs with 16 MB, ratio to the bare relay 0.41–0.43 against 0.37–0.40; RSS per idle
// connection unchanged (8–15 KB); the half-load tail no better (p99 84–130 against 52–116 ms).
// Another size: node --max-semi-space-size=N packages/server/bin/parley-server.mjs …
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');

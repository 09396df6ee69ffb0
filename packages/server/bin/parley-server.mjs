#!/usr/bin/env -S node --max-semi-space-size=32 --no-allocation-site-pretenuring
// Runs the server from its TypeScript sources (the workspace ships no build step yet).
//
// --max-semi-space-size=32 (MB; V8's default on this machine is 16): at full load a message's
// objects live ~100 ms, longer than a 16 MB young generation lasts, so scavenges copied and
// promoted them and V8's helper threads marked them again. In bench:server, three runs of each
// in alternation (packages/bench/results/history.md "Late session"): 63–76 µs of server CPU a message against
// 77–87 µs with 16 MB, ratio to the bare relay 0.41–0.43 against 0.37–0.40; RSS per idle
// connection unchanged (8–15 KB); the half-load tail no better (p99 84–130 against 52–116 ms).
//
// --no-allocation-site-pretenuring: V8 allocates the objects of a site whose objects mostly
// survive a scavenge straight in the old generation. At full load a pending delivery's promises,
// closures and buffers live a group commit's round trip (~100 ms), so V8 pretenured them, and
// they died in the old generation: it grew ~9 MB a second until a major GC (to 144 and 165 MB in
// two runs' half-load rounds), and the scavenges that remained still took 7–15 ms at half load
// (the longest of each second). Without pretenuring they die young (the heap stays at 59–82 MB;
// scavenges 2–8 ms at half load). In
// bench:server, five --rounds 3 runs of each in alternation (packages/bench/results/history.md "Third night
// session"): 57–73 µs of server CPU a message against 71–87, 15.2k–18.6k msgs/s against
// 13.9k–15.8k, ratio to the bare relay 0.519–0.572 against 0.471–0.538.
// Other flags: node --max-semi-space-size=N … packages/server/bin/parley-server.mjs …
import { register } from 'tsx/esm/api';

// Parley runs on the Node.js pinned in the repository's package.json (devDependencies.node;
// engines: >=24.7), which npm puts first on PATH for `npm start`, `npx parley-server` and
// every npm script. Started by an older `node` (this file run straight from a shell), say so
// instead of failing later.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 24 || (major === 24 && minor < 7)) {
  process.stderr.write(
    `parley-server: needs Node.js >= 24.7 (this is ${process.version}); from the repository, run \`npm start\` or \`npx parley-server\`, which use the pinned Node.\n`,
  );
  process.exit(1);
}

register();
await import('../src/main.ts');

// The attackers of bench:flood (flood-bench.ts), on a thread of their own so that handling their
// answers does not delay the well-behaved client's in the main thread. Plain JavaScript, so that
// the thread starts without a TypeScript loader. workerData: { url, wsUrl, connections,
// inFlight, bundlePath }.
// - `connections` anonymous WebSocket connections send challenge frames, `inFlight` unanswered
//   at a time, and send another at each answer, whatever it is (a challenge or a refusal); one
//   that the server closes connects again, as a flooder would.
// - `connections` drainers fetch `bundlePath` (a device's prekey bundle) one after another, as
//   fast as the server answers.
// The thread posts 'open' once all are connected; on 'count' and 'stop' it posts its counts.
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

const { url, wsUrl, connections, inFlight, bundlePath } = workerData;
const counts = { challenges: 0, refused: 0, reconnects: 0, bundles: 0, bundlesRefused: 0 };
let stopped = false;
const sockets = new Set();

function flood() {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl);
    sockets.add(ws);
    let id = 0;
    const ask = () => {
      if (!stopped && ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'challenge', id: ++id }));
    };
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.includes('"type":"hello"')) return;
      if (text.includes('"type":"challenge"')) counts.challenges++;
      else counts.refused++;
      ask();
    });
    ws.once('open', () => {
      for (let i = 0; i < inFlight; i++) ask();
      resolve();
    });
    ws.once('error', () => {});
    ws.once('close', () => {
      sockets.delete(ws);
      if (stopped) return;
      counts.reconnects++;
      setTimeout(flood, 10);
      resolve();
    });
  });
}

async function drain() {
  while (!stopped) {
    try {
      const res = await fetch(`${url}${bundlePath}`);
      await res.arrayBuffer();
      if (res.status === 200) counts.bundles++;
      else counts.bundlesRefused++;
    } catch {
      counts.bundlesRefused++;
    }
  }
}

await Promise.all(Array.from({ length: connections }, flood));
for (let i = 0; i < connections; i++) void drain();
parentPort.on('message', (message) => {
  if (message === 'count') parentPort.postMessage({ ...counts });
  if (message !== 'stop') return;
  stopped = true;
  parentPort.postMessage({ ...counts });
  for (const ws of sockets) ws.terminate();
  parentPort.close();
});
parentPort.postMessage('open');

// The flooders of bench:flood (flood-bench.ts), on a thread of their own so that handling their
// answers does not delay the well-behaved client's in the main thread. Plain JavaScript, so that
// the thread starts without a TypeScript loader. workerData: { url, connections, inFlight }.
// Each connection asks for challenges, `inFlight` at a time, and asks again at each answer; the
// thread posts 'open' once all are connected, and on 'stop' posts how many were answered.
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

const { url, connections, inFlight } = workerData;
let answered = 0;
let stopped = false;
const sockets = await Promise.all(
  Array.from(
    { length: connections },
    () =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      }),
  ),
);
for (const ws of sockets) {
  let id = 0;
  const ask = () => ws.send(JSON.stringify({ type: 'challenge', id: ++id }));
  ws.on('message', (data) => {
    if (!data.toString().includes('"challenge"')) return;
    answered++;
    if (!stopped) ask();
  });
  for (let i = 0; i < inFlight; i++) ask();
}
parentPort.on('message', (message) => {
  if (message === 'count') parentPort.postMessage(answered);
  if (message !== 'stop') return;
  stopped = true;
  parentPort.postMessage(answered);
  for (const ws of sockets) ws.terminate();
  parentPort.close();
});
parentPort.postMessage('open');

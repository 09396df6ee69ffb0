// Loaded into the server by bench:server alone (`node --expose-gc --import …`), never by
// `npm start`: on SIGUSR2 the server collects its garbage twice (the second pass frees what the
// first one's finalisers released) and writes, in bytes, what its main thread then holds in its
// heap and in buffers outside it. Connections' memory is that growth; RSS alone cannot show it at
// 2,000 clients: it moves by several MB with nothing connecting (SQLite's page caches on three
// connections, other threads' heaps, pages the allocator keeps), about as much as 2,000 idle
// connections hold, and the figure per connection has come out negative.
process.on('SIGUSR2', () => {
  globalThis.gc();
  globalThis.gc();
  const { heapUsed, external } = process.memoryUsage();
  process.stdout.write(`parley-bench: collected ${heapUsed + external}\n`);
});

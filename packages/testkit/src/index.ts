/**
 * Shared kits for the tests of several packages and for the benchmarks. Private: nothing ships
 * with it. `@parley/testkit/server-process` and `@parley/testkit/cli-kit` import nothing from
 * vitest, for code that runs outside it (the benchmarks); this index also brings in the `use…`
 * helpers, which register vitest hooks.
 *
 * - server-process.ts: a real `parley-server` process on a free port (startServer).
 * - test-server.ts: one such server for the tests of a file (useTestServer), for tests about the
 *   process: crashes, signals, durability across restarts, the CLI.
 * - in-process-server.ts: the same server built in the test process on a loopback socket
 *   (useInProcessServer), for flows that only need its URL: no cold start per file.
 * - cli-kit.ts: the `parley` CLI run as a child process against a temporary home (Home, parley).
 * - test-homes.ts: Alice's and Bob's initialised CLI homes for a file (useTestHomes).
 * - fault-proxy.ts: a seeded fault-injecting HTTP proxy in front of a server (startFaultProxy).
 * - server-cluster.ts, cluster-services.ts: N server processes on one PostgreSQL + NATS
 *   (startCluster, createClusterDatabase, clusterServicesMissing); also `@parley/testkit/cluster`.
 */
export * from './cli-kit.ts';
export * from './cluster-services.ts';
export * from './fault-proxy.ts';
export * from './in-process-server.ts';
export * from './server-cluster.ts';
export * from './server-process.ts';
export * from './test-homes.ts';
export * from './test-server.ts';

/** `@parley/testkit/cluster`: a cluster of server processes and its services, without vitest (benchmarks). */
export * from './cluster-services.ts';
export * from './server-cluster.ts';

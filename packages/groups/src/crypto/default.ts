/**
 * The primitives this platform gets by default, chosen by conditions on the package's
 * `imports` map (`#default-group-crypto` in package.json): node:crypto under Node, @noble
 * elsewhere and under the `parley-noble` condition (as @parley/protocol's `#default-crypto`).
 */
export { default as defaultMlsPrimitives } from '#default-group-crypto';

/**
 * The backend this platform gets by default, chosen by conditions on the package's
 * `imports` map (`#default-crypto` in package.json): node:crypto under Node, @noble elsewhere (and under the custom
 * `parley-noble` condition, which the test suite uses to run everything on the noble backend).
 */
export { default as defaultBackend } from '#default-crypto';

/** @parley/cli — the `parley` command. `run(argv)` runs one command line and resolves with its exit code. */
export { run, VERSION } from './cli.ts';
export { EXIT, exitCodeOf } from './errors.ts';

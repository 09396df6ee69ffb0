#!/usr/bin/env node
// Runs the CLI from its TypeScript sources (the workspace ships no build step yet).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');

#!/usr/bin/env node
// The `loupe` command. Runs the TypeScript sources through tsx, resolved beside this file.
import { register } from 'tsx/esm/api';

register();
await import('../src/main/cli.ts');

#!/usr/bin/env node
// The package's TypeScript source runs as is: register tsx's loader, then start the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');

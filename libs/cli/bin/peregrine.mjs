#!/usr/bin/env node
// The `peregrine` command. Registers tsx from this package's own location, so it works from any directory.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));

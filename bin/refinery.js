#!/usr/bin/env node
// The `refinery` CLI. The code is compiled from src/ and stages/ into dist/ by `npm install`;
// this file names the registry of stages (dist/stages/index.js), the CLI's composition root.
import { main } from '../dist/src/cli/main.js';

const registryModule = new URL('../dist/stages/index.js', import.meta.url).href;
main(process.argv.slice(2), { registryModule }).then(
  (code) => { process.exitCode = code ?? 0; },
  (err) => { console.error(err?.stack ?? String(err)); process.exitCode = 1; },
);

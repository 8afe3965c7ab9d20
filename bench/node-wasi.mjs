// node-wasi.mjs - run a WASI command module in node (V8), for bench/run.
//
// Usage: node node-wasi.mjs FILE.wasm [ARGS...]
//
// Only node's built-in modules (node:wasi, node:fs): the benchmark must not
// depend on npm.  The module gets its arguments and nothing else: no
// environment and no preopened directories.  The exit status is the
// command's (proc_exit or the return of main).
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import { argv, exit, stderr } from 'node:process';

if (argv.length < 3) {
  stderr.write('usage: node node-wasi.mjs FILE.wasm [ARGS...]\n');
  exit(2);
}
const file = argv[2];
let bytes;
try {
  bytes = await readFile(file);
} catch (e) {
  stderr.write(`node-wasi: ${file}: ${e.message}\n`);
  exit(2);
}
const wasi = new WASI({
  version: 'preview1',
  args: [file, ...argv.slice(3)],
  env: {},
  returnOnExit: true,
});
let status;
try {
  const module = await WebAssembly.compile(bytes);
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  status = wasi.start(instance);
} catch (e) {
  stderr.write(`node-wasi: ${file}: ${e.message}\n`);
  exit(1);
}
exit(status);

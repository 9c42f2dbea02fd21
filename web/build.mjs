// build.mjs OUTDIR: bundles the sources (src/, ES modules) with esbuild into
// OUTDIR, beside the client.wasm and wasm_exec.js that build.sh put there:
//   ipcbus-preload.bundle.js  the preload: one classic script (wasm_exec.js,
//                             codec, client, services, engine glue, host)
//   ipcbus-page.bundle.js     a page's or a frame's shim (no wasm)
//   node.cjs, node.mjs        the Node entry (CommonJS, ws bundled in) and
//                             its ESM face: named re-exports of the same
//                             instance (no dual-package state)
//   browser.mjs               the renderer entry of the package (ESM over
//                             the page shim)
//   ipcbus.d.ts               the typings
// esbuild only bundles; `npm run typecheck` (tsc) checks the types.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] || path.join(here, 'dist'));
const wasmExec = path.join(out, 'wasm_exec.js');
if (!fs.existsSync(wasmExec)) {
  console.error(`build.mjs: ${wasmExec} is missing (build.sh copies it from GOROOT first)`);
  process.exit(1);
}

// 'ipcbus:wasm_exec' is Go's loader in a function of its own: it takes the
// object to use as globalThis and returns the Go class, so that the Node
// entry can keep it out of the app's globals.
const wasmExecPlugin = {
  name: 'wasm_exec',
  setup(build) {
    build.onResolve({ filter: /^ipcbus:wasm_exec$/ }, () => ({ path: wasmExec, namespace: 'wasm-exec' }));
    build.onLoad({ filter: /.*/, namespace: 'wasm-exec' }, () => ({
      contents: `export default function loadGo(globalThis) {\n${fs.readFileSync(wasmExec, 'utf8')}\nreturn globalThis.Go;\n}\n`,
      loader: 'js',
    }));
  },
};

const common = { bundle: true, logLevel: 'warning', plugins: [wasmExecPlugin], legalComments: 'none' };
const banner = (what) => ({ js: `// ipcbus ${what} (built from web/src by web/build.mjs)` });

await Promise.all([
  esbuild.build({ ...common, entryPoints: [path.join(here, 'src/preload.js')], outfile: path.join(out, 'ipcbus-preload.bundle.js'),
    format: 'iife', platform: 'browser', target: 'es2020', banner: banner('preload bundle'),
    // its module.exports, for an app's preload that bundles it
    logOverride: { 'commonjs-variable-in-esm': 'silent' } }),
  esbuild.build({ ...common, entryPoints: [path.join(here, 'src/page.js')], outfile: path.join(out, 'ipcbus-page.bundle.js'),
    format: 'iife', platform: 'browser', target: 'es2020', banner: banner('page bundle') }),
  esbuild.build({ ...common, entryPoints: [path.join(here, 'src/browser.js')], outfile: path.join(out, 'browser.mjs'),
    format: 'esm', platform: 'browser', target: 'es2020', banner: banner('renderer entry') }),
  esbuild.build({ ...common, entryPoints: [path.join(here, 'src/node/index.js')], outfile: path.join(out, 'node.cjs'),
    format: 'cjs', platform: 'node', target: 'node20', external: ['bufferutil', 'utf-8-validate', 'electron'],
    banner: banner('Node entry') }),
]);

// node.mjs re-exports node.cjs by name: import and require share one instance.
const names = Object.keys(createRequire(import.meta.url)(path.join(out, 'node.cjs'))).filter((n) => n !== 'default');
fs.writeFileSync(path.join(out, 'node.mjs'), `// ipcbus Node entry for import: the same instance as require('ipcbus')\n` +
  `import m from './node.cjs';\nexport const { ${names.join(', ')} } = m;\nexport default m;\n`);
fs.copyFileSync(path.join(here, 'ipcbus.d.ts'), path.join(out, 'ipcbus.d.ts'));

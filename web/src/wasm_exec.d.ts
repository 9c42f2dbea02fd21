// The module build.mjs makes of Go's wasm_exec.js: loadGo(scope) runs it
// with scope as its globalThis and returns the Go class.
declare module 'ipcbus:wasm_exec' {
  export default function loadGo(scope: object): any;
}

package bus

// inlineWrites is off under js/wasm: a write may wait for the browser's
// buffer to drain, which a JS callback must never do.
const inlineWrites = false

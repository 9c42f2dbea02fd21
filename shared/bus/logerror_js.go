package bus

// logError is the default Options.OnError under js/wasm: the console, so
// that log/slog (and encoding/json with it) stays out of client.wasm.
func logError(err error) { println("ipcbus:", err.Error()) }

//go:build !js

package bus

import "log/slog"

// logError is the default Options.OnError.
func logError(err error) { slog.Default().Warn("ipcbus", "err", err) }

//go:build !js

package bus

// inlineWrites lets requests and responses be written on the goroutine that
// makes them (see Conn.pushNow).
const inlineWrites = true

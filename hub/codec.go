package hub

import (
	"crypto/subtle"

	"github.com/vmihailenco/msgpack/v5"
)

func encode(v any) ([]byte, error) { return msgpack.Marshal(v) }

func tokenEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

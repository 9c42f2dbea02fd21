package wire

import "errors"

// Errors returned while encoding, decoding and framing.
var (
	// ErrMalformed is wrapped by every decoding error.
	ErrMalformed = errors.New("wire: malformed frame")
	// ErrFrameTooLarge is returned for a frame over the size limit.
	ErrFrameTooLarge = errors.New("wire: frame too large")
)

package wire

import "errors"

// Errors returned while encoding, decoding and framing.
var (
	// ErrMalformed is wrapped by every decoding error.
	ErrMalformed = errors.New("wire: malformed frame")
	// ErrFrameTooLarge is returned for a frame over the size limit.
	ErrFrameTooLarge = errors.New("wire: frame too large")
	// ErrTooDeep is returned for a value nested deeper than MaxDepth. It
	// matches ErrMalformed.
	ErrTooDeep error = &limitError{"wire: value nested too deep"}
	// ErrTooComplex is returned for a value whose generic decode would take
	// more memory than DecodeBudget allows. It matches ErrMalformed.
	ErrTooComplex error = &limitError{"wire: value too complex to decode"}
)

// limitError is a value refused for a limit: it matches ErrMalformed too.
type limitError struct{ msg string }

func (e *limitError) Error() string        { return e.msg }
func (e *limitError) Is(target error) bool { return target == ErrMalformed }

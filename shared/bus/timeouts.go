package bus

import (
	"context"
	"time"
)

// limitCtx gives ctx a deadline d from now unless it has one already or d
// is negative (no limit). It returns the time ctx allows (0: no limit),
// which timeout errors report: d when limitCtx set the deadline, even in a
// nested call, else the time left of the caller's deadline.
func limitCtx(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc, time.Duration) {
	if dl, ok := ctx.Deadline(); ok {
		if allowed, ok := ctx.Value(allowedKey{}).(time.Duration); ok {
			return ctx, func() {}, allowed
		}
		return ctx, func() {}, time.Until(dl)
	}
	if d < 0 {
		return ctx, func() {}, 0
	}
	ctx, cancel := context.WithTimeout(context.WithValue(ctx, allowedKey{}, d), d)
	return ctx, cancel, d
}

// allowedKey holds, in a context limitCtx gave a deadline, the time it
// allowed.
type allowedKey struct{}

// timedOut is ErrTimeout with the time that was allowed. It is wrapped by
// the operation's error ("ipcbus: request on "x": timed out after 2s"), and
// matches ErrTimeout and context.DeadlineExceeded.
type timedOut struct{ after time.Duration }

func (e *timedOut) Error() string {
	if e.after <= 0 {
		return "timed out"
	}
	return "timed out after " + e.after.Round(time.Millisecond).String()
}
func (e *timedOut) Timeout() bool   { return true }
func (e *timedOut) Temporary() bool { return true }
func (e *timedOut) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

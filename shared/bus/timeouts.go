package bus

import (
	"context"
	"time"
)

// limitCtx gives ctx a deadline d from now unless it has one already or d
// is negative (no limit). It returns the time ctx allows from now (0: no
// limit), which timeout errors report.
func limitCtx(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc, time.Duration) {
	if dl, ok := ctx.Deadline(); ok {
		return ctx, func() {}, time.Until(dl)
	}
	if d < 0 {
		return ctx, func() {}, 0
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, cancel, d
}

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

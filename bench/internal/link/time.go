package link

import "time"

func timeUntil(t time.Time) time.Duration {
	d := time.Until(t)
	if d < time.Millisecond {
		d = time.Millisecond
	}
	return d
}

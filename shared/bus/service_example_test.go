//go:build !js

package bus_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// Clock is an outer value: its exported methods are the service's handlers.
type Clock struct{}

// Now answers the time in a zone.
func (Clock) Now(ctx context.Context, zone string) (time.Time, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.Time{}, err // rejects the call with err's message
	}
	return time.Now().In(loc), nil
}

func ExampleNewService() {
	ctx := context.Background()
	c, err := nativeclient.Dial(ctx, "", &bus.Options{Name: "clock"})
	if err != nil {
		return
	}
	defer c.Close()
	svc, err := bus.NewService(c, "clock", Clock{}, nil)
	if err != nil {
		return
	}
	// A handler of raw arguments, as a binding registers one.
	svc.RegisterCallHandler("echo", func(ctx context.Context, call *bus.ServiceCall) (any, error) {
		return call.Values()
	})
	if err := svc.Start(ctx); err != nil {
		return
	}
	defer svc.Stop(ctx)
	svc.SendEvent(ctx, "tick", time.Now())
}

func ExampleCallAs() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := nativeclient.Dial(ctx, "", nil)
	if err != nil {
		return
	}
	defer c.Close()
	p := bus.NewServiceProxy(c, "clock", nil)
	defer p.Close()
	p.On("tick", func(e *bus.Event) {
		var t time.Time
		e.Args(&t)
		fmt.Println("tick", t)
	})
	// Connect waits for the service to start, within ctx.
	if err := p.Connect(ctx); err != nil {
		return
	}
	now, err := bus.CallAs[time.Time](ctx, p, "Now", "Europe/Paris")
	fmt.Println(now, err)
}

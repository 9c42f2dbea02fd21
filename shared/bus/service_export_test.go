//go:build !js

package bus

// QueuedCalls returns how many calls wait for the service to start.
func (p *ServiceProxy) QueuedCalls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.queued
}

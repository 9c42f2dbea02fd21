package wire

import "strings"

// The service protocol of electron-common-ipc, kept as is so that Go, JS
// pages and Node services and proxies interoperate. A call is a request on
// ServiceCallChannel(name) whose first argument is {handlerName, args}; an
// event is a send on ServiceEventChannel(name) whose first argument is
// {eventName, args}.
const (
	// ServiceEventStart is the event a service sends when it starts; its
	// one argument is the ServiceStatus.
	ServiceEventStart = "service-event-start"
	// ServiceEventStop is the event a service sends when it stops (with an
	// empty object as argument on the wire; proxies emit it without).
	ServiceEventStop = "service-event-stop"
	// ServiceWrapperEvent carries an event the service's outer value
	// emitted: its arguments are [eventName, argsArray]. Proxies emit it as
	// eventName with those arguments.
	ServiceWrapperEvent = "service-wrapper-event"
	// ServiceCallGetStatus is the built-in call handler that answers the
	// ServiceStatus.
	ServiceCallGetStatus = "__getServiceStatus"

	serviceNamespace = "/electron-ipc-bus/ipc-service/"
)

// ChannelQueryServices is answered by the hub with the services it knows
// to be available (see hub.ServiceState). Its arguments are ignored.
const ChannelQueryServices = "/electron-common-ipc/queryServices"

// ServiceCallChannel is the channel a service named name answers calls on.
func ServiceCallChannel(name string) string { return serviceNamespace + name + "/call" }

// ServiceEventChannel is the channel a service named name sends events on.
func ServiceEventChannel(name string) string { return serviceNamespace + name + "/event" }

// ServiceOfEventChannel returns the service whose event channel channel is.
func ServiceOfEventChannel(channel string) (string, bool) {
	name, ok := strings.CutPrefix(channel, serviceNamespace)
	if !ok {
		return "", false
	}
	name, ok = strings.CutSuffix(name, "/event")
	return name, ok && name != ""
}

// ServiceStatus is what a service says of itself, in its start event and
// in answer to ServiceCallGetStatus. CallHandlers omits the handlers whose
// name starts with '_'.
type ServiceStatus struct {
	Started             bool     `msgpack:"started" json:"started"`
	CallHandlers        []string `msgpack:"callHandlers" json:"callHandlers"`
	SupportEventEmitter bool     `msgpack:"supportEventEmitter" json:"supportEventEmitter"`
}

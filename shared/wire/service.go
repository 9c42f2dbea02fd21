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

// ReadServiceEvent reads what the hub needs of a service event's args,
// [{eventName, args}]: the event's name and, for ServiceEventStart, the
// status its args carry ([status]). It decodes nothing else: other keys
// and args are skipped without recursion. A status that does not read is
// left zero (err is about the name).
func ReadServiceEvent(args []byte) (name string, st ServiceStatus, err error) {
	n, rest, err := readArrayLen(args)
	if err != nil {
		return "", st, err
	}
	if n < 1 {
		return "", st, malformed("service event without arguments")
	}
	var eventArgs []byte
	_, err = readFields(rest, map[string]field{
		"eventName": strField(&name),
		"args": func(v []byte) (rest []byte, err error) {
			eventArgs, rest, err = readRaw(v)
			return rest, err
		},
	})
	if err != nil {
		return "", st, err
	}
	if name == ServiceEventStart && len(eventArgs) > 0 {
		if k, rest, err := readArrayLen(eventArgs); err == nil && k > 0 {
			if _, err := readServiceStatus(rest, &st); err != nil {
				st = ServiceStatus{}
			}
		}
	}
	return name, st, nil
}

func readServiceStatus(b []byte, st *ServiceStatus) ([]byte, error) {
	return readFields(b, map[string]field{
		"started":             boolField(&st.Started),
		"supportEventEmitter": boolField(&st.SupportEventEmitter),
		"callHandlers": func(v []byte) ([]byte, error) {
			if len(v) > 0 && v[0] == 0xc0 {
				return v[1:], nil
			}
			n, rest, err := readArrayLen(v)
			if err != nil {
				return nil, err
			}
			if n > len(rest) { // each name takes a byte at least
				return nil, malformed("%d handlers in %d bytes", n, len(rest))
			}
			st.CallHandlers = make([]string, 0, n)
			for range n {
				var h string
				if h, rest, err = ReadStr(rest); err != nil {
					return nil, err
				}
				st.CallHandlers = append(st.CallHandlers, h)
			}
			return rest, nil
		},
	})
}

// ReadServiceName reads the service name a serviceAvailable query asks
// about: its first argument, a string or an object {name}. Anything else
// reads as "".
func ReadServiceName(args []byte) (string, error) {
	n, rest, err := readArrayLen(args)
	if err != nil || n < 1 || len(rest) == 0 {
		return "", err
	}
	if rest[0]&0xe0 == 0xa0 || rest[0] == 0xd9 || rest[0] == 0xda || rest[0] == 0xdb {
		s, _, err := ReadStr(rest)
		return s, err
	}
	var name string
	if c := rest[0]; c&0xf0 == 0x80 || c == 0xde || c == 0xdf {
		if _, err := readFields(rest, map[string]field{"name": func(v []byte) ([]byte, error) {
			if s, rest, err := ReadStr(v); err == nil {
				name = s
				return rest, nil
			}
			return nil, nil // not a string: skipped
		}}); err != nil {
			return "", err
		}
	}
	return name, nil
}

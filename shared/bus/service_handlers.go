//go:build !js

package bus

import (
	"context"
	"fmt"
	"reflect"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// CallHandler serves the calls of one handler name of a Service. Its
// result resolves the call; an error rejects it with the error's message.
// ctx is cancelled when the service stops. Handlers run on goroutines of
// their own, so they may block and may call the bus.
type CallHandler func(ctx context.Context, call *ServiceCall) (any, error)

// ServiceCall is one call as a handler gets it.
type ServiceCall struct {
	Service string // the service's name
	Handler string // the handler name called
	Sender  Peer   // the peer that called
	args    []byte
}

// Args decodes the call's arguments, in order, into the pointers given;
// pass nil to skip one. Missing arguments leave their pointers untouched.
func (c *ServiceCall) Args(dst ...any) error { return decodeArgs(c.args, dst) }

// Values decodes every argument into a generic value.
func (c *ServiceCall) Values() ([]any, error) { return decodeValues(c.args) }

// RawArgs returns the msgpack array of arguments as received.
func (c *ServiceCall) RawArgs() []byte { return c.args }

var (
	contextType = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
)

// FuncHandler makes a CallHandler of any Go function. The call's arguments
// are decoded into the function's parameters, in order (a variadic last
// parameter takes the rest); missing arguments are zero values and extra
// ones are ignored, as a JS function would. A context.Context first
// parameter gets the call's ctx. The results may be none, a value, an
// error, or a value and an error: the value resolves the call, a non-nil
// error rejects it with its message. Other shapes fail with ErrBadHandler.
func FuncHandler(fn any) (CallHandler, error) {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.IsNil() {
		return nil, fmt.Errorf("%w: %T is not a function", ErrBadHandler, fn)
	}
	if h, ok := fn.(CallHandler); ok {
		return h, nil
	}
	if h, ok := fn.(func(context.Context, *ServiceCall) (any, error)); ok {
		return h, nil
	}
	return reflectHandler(v)
}

func reflectHandler(fn reflect.Value) (CallHandler, error) {
	t := fn.Type()
	withCtx := t.NumIn() > 0 && t.In(0) == contextType
	first := 0
	if withCtx {
		first = 1
	}
	params := make([]reflect.Type, 0, t.NumIn()-first)
	for i := first; i < t.NumIn(); i++ {
		params = append(params, t.In(i))
	}
	variadic := t.IsVariadic()
	errAt := -1
	switch t.NumOut() {
	case 0:
	case 1:
		if t.Out(0) == errorType {
			errAt = 0
		}
	case 2:
		if t.Out(1) != errorType {
			return nil, fmt.Errorf("%w: %v: a second result must be an error", ErrBadHandler, t)
		}
		errAt = 1
	default:
		return nil, fmt.Errorf("%w: %v: more than two results", ErrBadHandler, t)
	}
	return func(ctx context.Context, call *ServiceCall) (any, error) {
		in, err := decodeParams(call.args, params, variadic)
		if err != nil {
			return nil, fmt.Errorf("ipcbus: %s.%s: %w", call.Service, call.Handler, err)
		}
		if withCtx {
			in = append([]reflect.Value{reflect.ValueOf(&ctx).Elem()}, in...)
		}
		out := fn.Call(in)
		if errAt >= 0 {
			if e := out[errAt]; !e.IsNil() {
				return nil, e.Interface().(error)
			}
		}
		if len(out) > 0 && errAt != 0 {
			return out[0].Interface(), nil
		}
		return nil, nil
	}, nil
}

// decodeParams decodes the args array raw into values of the parameter
// types; with variadic set the last type is a slice that takes the rest.
func decodeParams(raw []byte, params []reflect.Type, variadic bool) ([]reflect.Value, error) {
	fixed := len(params)
	if variadic {
		fixed--
	}
	n, rest, err := wire.ReadArrayLen(argsArray(raw))
	if err != nil {
		return nil, fmt.Errorf("decode call args: %w", err)
	}
	in := make([]reflect.Value, 0, max(n, fixed))
	for i := 0; i < n && (i < fixed || variadic); i++ {
		pt := params[min(i, fixed)]
		if i >= fixed {
			pt = pt.Elem()
		}
		size, err := wire.ValueLen(rest)
		if err != nil {
			return nil, fmt.Errorf("argument %d: %w", i+1, err)
		}
		p := reflect.New(pt)
		if err := decodeInto(rest[:size:size], p.Interface()); err != nil {
			return nil, fmt.Errorf("argument %d is %s, want %v", i+1, valueKind(rest[:size:size]), pt)
		}
		rest = rest[size:]
		in = append(in, p.Elem())
	}
	for i := len(in); i < fixed; i++ {
		in = append(in, reflect.Zero(params[i]))
	}
	return in, nil
}

// methodHandlers returns a CallHandler for each exported method of v, by
// name, skipping the methods listed in skip.
func methodHandlers(v any, skip map[string]bool) (map[string]CallHandler, []string, error) {
	rv := reflect.ValueOf(v)
	rt := rv.Type()
	handlers := make(map[string]CallHandler, rt.NumMethod())
	var names []string
	for i := 0; i < rt.NumMethod(); i++ {
		m := rt.Method(i)
		if !m.IsExported() || skip[m.Name] {
			continue
		}
		h, err := reflectHandler(rv.Method(i))
		if err != nil {
			return nil, nil, fmt.Errorf("method %s: %w", m.Name, err)
		}
		handlers[m.Name] = h
		names = append(names, m.Name)
	}
	return handlers, names, nil
}

// valueKind names the kind of the encoded value v, for the error of an
// argument that does not fit its parameter.
func valueKind(v []byte) string {
	var x any
	if err := decodeInto(v, &x); err != nil {
		return "malformed"
	}
	switch x.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, uint64, int, float64, float32:
		return "a number"
	case []byte:
		return "binary"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", x)
}

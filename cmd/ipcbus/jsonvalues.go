package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// parseJSONArgs parses each command-line argument as one JSON value.
// Integers stay integers; other numbers are float64.
func parseJSONArgs(args []string) ([]any, error) {
	out := make([]any, 0, len(args))
	for i, a := range args {
		v, err := parseJSON(a)
		if err != nil {
			return nil, fmt.Errorf("argument %d (%q) is not JSON: %w %s", i+1, a, err, quoteHint(a))
		}
		out = append(out, v)
	}
	return out, nil
}

// parseJSONFlag parses the value of a flag that takes JSON.
func parseJSONFlag(name, s string) (any, error) {
	v, err := parseJSON(s)
	if err != nil {
		return nil, fmt.Errorf("%s %q is not JSON: %w %s", name, s, err, quoteHint(s))
	}
	return v, nil
}

// quoteHint shows how to give s as a JSON string from the shell.
func quoteHint(s string) string {
	b, _ := json.Marshal(s)
	return "(quote strings: '" + string(b) + "')"
}

func parseJSON(s string) (any, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one value")
	}
	return numbers(v), nil
}

func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = numbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = numbers(x[k])
		}
	}
	return v
}

// jsonValue makes a decoded bus value printable as JSON: binary becomes
// {"$binary": base64}, a timestamp RFC 3339 text.
func jsonValue(v any) any {
	switch x := v.(type) {
	case []byte:
		return map[string]string{"$binary": base64.StdEncoding.EncodeToString(x)}
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = jsonValue(x[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k := range x {
			out[k] = jsonValue(x[k])
		}
		return out
	}
	return v
}

// marshalLine encodes v as one line of JSON.
func marshalLine(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	return append(b, '\n')
}

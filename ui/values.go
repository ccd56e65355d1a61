package ui

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
)

// jsonKind names the JSON type of raw for messages: "a string", "null".
func jsonKind(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "invalid JSON"
	}
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// decodeJSON decodes raw into v, strictly: a JSON value of another type is a
// *ValueError for c saying what was expected.
func decodeJSON(c Component, raw json.RawMessage, v any, want string) error {
	if len(raw) == 0 {
		return valueErr(c, "no value; want %s", want)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return valueErr(c, "got %s; want %s", jsonKind(raw), want)
	}
	return nil
}

// decodeNumber reads a finite JSON number.
func decodeNumber(c Component, raw json.RawMessage) (float64, error) {
	var f *float64
	if err := decodeJSON(c, raw, &f, "a number"); err != nil {
		return 0, err
	}
	if f == nil {
		return 0, valueErr(c, "got null; want a number")
	}
	return *f, nil
}

// toFloat64 converts a Go number of any basic numeric type.
func toFloat64(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	// Named number types.
	rv := reflect.ValueOf(v)
	if rv.IsValid() && numeric(rv.Type()) {
		return rv.Convert(reflect.TypeFor[float64]()).Float(), true
	}
	return 0, false
}

// toString takes a string or a value of a named string type.
func toString(v any) (string, bool) {
	if s, ok := v.(string); ok {
		return s, true
	}
	rv := reflect.ValueOf(v)
	if rv.IsValid() && rv.Kind() == reflect.String {
		return rv.String(), true
	}
	return "", false
}

// formatNumber writes f as short as it round-trips: 0.3, 100, 1e-7.
func formatNumber(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// finite reports whether f is a number JSON can carry.
func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// mustJSON marshals a value that always marshals (strings, numbers, bools,
// slices and structs of them).
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("ui: marshalling " + fmt.Sprintf("%T", v) + ": " + err.Error())
	}
	return b
}

// maxQuoted is how many characters of a value a message quotes.
const maxQuoted = 64

// quoteValue quotes s for a message, cut to maxQuoted characters: values
// come from pages, and a message goes back to the page and into logs.
func quoteValue(s string) string {
	n := 0
	for i := range s {
		if n == maxQuoted {
			return strconv.Quote(s[:i]) + "…"
		}
		n++
	}
	return strconv.Quote(s)
}

// goKind names v's type for messages.
func goKind(v any) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("%T", v)
}

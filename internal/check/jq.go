package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/itchyny/gojq"
)

// compileJQ compiles a jq program once, at construction.
func compileJQ(src string) (*gojq.Code, error) {
	q, err := gojq.Parse(src)
	if err != nil {
		return nil, err
	}
	return gojq.Compile(q)
}

// jqResult is what a jq program produced for one input.
type jqResult struct {
	first, last any
	outputs     int
	// err is a runtime error of the program (or the context ending).
	err error
}

// runJQ runs code over input, keeping the first and last outputs. It stops at the first
// error, after the first output when firstOnly, or when ctx ends.
func runJQ(ctx context.Context, code *gojq.Code, input any, firstOnly bool) jqResult {
	var r jqResult
	iter := code.RunWithContext(ctx, input)
	for {
		v, ok := iter.Next()
		if !ok {
			return r
		}
		if err, isErr := v.(error); isErr {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				return r // a bare halt ends the program normally
			}
			r.err = err
			return r
		}
		if r.outputs == 0 {
			r.first = v
		}
		r.last = v
		r.outputs++
		if firstOnly {
			return r
		}
	}
}

// jqTruthy is jq's truth: everything but false and null.
func jqTruthy(v any) bool {
	return v != nil && v != false
}

// renderJQ renders a jq value compactly, as jq -c would.
func renderJQ(v any) string {
	b, err := gojq.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// numberText formats a JSON number without an exponent: 20240101 stays 20240101, 1.10
// keeps its trailing zero when written so, 1.5e3 becomes 1500.
func numberText(v any) (string, bool) {
	switch n := v.(type) {
	case json.Number:
		s := n.String()
		if !strings.ContainsAny(s, "eE") {
			return s, true
		}
		if f, ok := new(big.Float).SetPrec(256).SetString(s); ok {
			return f.Text('f', -1), true
		}
		return s, true
	case int:
		return strconv.Itoa(n), true
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return "", false
		}
		return strconv.FormatFloat(n, 'f', -1, 64), true
	case *big.Int:
		return n.String(), true
	}
	return "", false
}

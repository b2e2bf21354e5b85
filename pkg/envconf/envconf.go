// Package envconf reads typed settings from the environment and collects every
// problem at once, so a process that will not start says everything wrong with
// its configuration in one message.
package envconf

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Reader reads variables through Lookup (os.LookupEnv unless set) and keeps
// the errors it meets.
type Reader struct {
	Lookup func(string) (string, bool)
	errs   []error
}

// New returns a Reader over the process environment.
func New() *Reader { return &Reader{Lookup: os.LookupEnv} }

// FromMap returns a Reader over a fixed map, for tests and embedding.
func FromMap(m map[string]string) *Reader {
	return &Reader{Lookup: func(k string) (string, bool) { v, ok := m[k]; return v, ok }}
}

func (r *Reader) raw(name string) (string, bool) {
	v, ok := r.Lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

// Fail records a problem found by the caller's own validation.
func (r *Reader) Fail(name, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

// String returns the variable or def when unset or empty.
func (r *Reader) String(name, def string) string {
	if v, ok := r.raw(name); ok {
		return v
	}
	return def
}

// List splits a comma-separated variable, dropping empty items.
func (r *Reader) List(name string) []string {
	v, _ := r.raw(name)
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// Int returns the variable as an integer in [min, max], or def when unset.
func (r *Reader) Int(name string, def, min, max int) int {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		r.Fail(name, "%q is not a whole number from %d to %d", v, min, max)
		return def
	}
	return n
}

// Duration returns the variable as a Go duration in [min, max], or def when unset.
func (r *Reader) Duration(name string, def, min, max time.Duration) time.Duration {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < min || d > max {
		r.Fail(name, "%q is not a Go duration (like 5s or 1h) from %s to %s", v, min, max)
		return def
	}
	return d
}

// ParsePeriod reads a length of time as days ("30d") or a Go duration
// ("36h"): how retention periods are written, in the environment and in
// app settings.
func ParsePeriod(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a number of days", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}

// Bool returns the variable as true or false (also 1/0, t/f), or def when unset.
func (r *Reader) Bool(name string, def bool) bool {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.Fail(name, "%q is not true or false", v)
		return def
	}
	return b
}

// Err returns every recorded problem joined, or nil.
func (r *Reader) Err() error {
	if len(r.errs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid configuration:\n  %w", errors.Join(r.errs...))
}

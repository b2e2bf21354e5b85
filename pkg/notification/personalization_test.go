package notification

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/fault"
)

// sizedData returns keys of one user's data whose JSON is exactly n bytes
// (n at least 2 plus 9 per key), every value a string within the limit.
func sizedData(t *testing.T, keys, n int) map[string]any {
	t.Helper()
	d := make(map[string]any, keys)
	for i := range keys {
		d[fmt.Sprintf("k%02d", i)] = ""
	}
	left := n - jsonLen(t, d)
	for i := 0; left > 0 && i < keys; i++ {
		add := min(left, MaxPersonalizedValue)
		d[fmt.Sprintf("k%02d", i)] = strings.Repeat("v", add)
		left -= add
	}
	if got := jsonLen(t, d); got != n {
		t.Fatalf("sized data is %d bytes, want %d", got, n)
	}
	return d
}

func jsonLen(t *testing.T, v any) int {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

// Each limit of personalization takes data just under it and refuses data
// just over it with 422 personalization_too_large, naming the limit.
func TestPersonalizationLimitsAtTheBoundary(t *testing.T) {
	users := func(n int) map[string]map[string]any {
		p := make(map[string]map[string]any, n)
		for i := range n {
			p[fmt.Sprintf("u%05d", i)] = map[string]any{"first_name": "Ann"}
		}
		return p
	}
	keys := func(n int) map[string]map[string]any {
		d := make(map[string]any, n)
		for i := range n {
			d[fmt.Sprintf("k%d", i)] = "x"
		}
		return map[string]map[string]any{"u": d}
	}
	value := func(v any) map[string]map[string]any { return map[string]map[string]any{"u": {"coupon": v}} }
	list := func(n int) any { return []any{strings.Repeat("x", n-4)} } // ["x..."]: n bytes of JSON
	perUser := func(n int) map[string]map[string]any {
		return map[string]map[string]any{"u": sizedData(t, 20, n)}
	}
	// total is users of at most 8,000 bytes making up n bytes of JSON:
	// {"u00000":{...},...} is 2 bytes, 9 per user, its data and a comma
	// between users.
	total := func(n int) map[string]map[string]any {
		p := map[string]map[string]any{}
		for left := n - 2; left > 0; {
			overhead := 9
			if len(p) > 0 {
				overhead++
			}
			size := left - overhead
			if size > 8000 {
				size = min(8000, size-200) // leaves the next user 200 at least
			}
			p[fmt.Sprintf("u%05d", len(p))] = sizedData(t, 20, size)
			left -= overhead + size
		}
		if got := jsonLen(t, p); got != n {
			t.Fatalf("total %d bytes, want %d", got, n)
		}
		return p
	}
	for _, c := range []struct {
		name        string
		under, over map[string]map[string]any
		want        string // in the refusal's message
	}{
		{"users", users(MaxPersonalizedUsers), users(MaxPersonalizedUsers + 1), "holds 10001 users; at most 10000"},
		{"keys per user", keys(MaxPersonalizedKeys), keys(MaxPersonalizedKeys + 1), `personalization["u"] holds 65 keys; at most 64`},
		{"a string's characters", value(strings.Repeat("é", MaxPersonalizedValue)), value(strings.Repeat("é", MaxPersonalizedValue+1)),
			`personalization["u"].coupon is 501 characters; at most 500`},
		{"another value's JSON", value(list(MaxPersonalizedValue)), value(list(MaxPersonalizedValue + 1)),
			`personalization["u"].coupon takes 501 bytes as JSON; at most 500`},
		{"one user's JSON", perUser(MaxPersonalizedUserBytes), perUser(MaxPersonalizedUserBytes + 1),
			`personalization["u"] takes 8193 bytes as JSON; at most 8192`},
		{"all of it", total(MaxPersonalizationBytes), total(MaxPersonalizationBytes + 1), "takes 2097153 bytes as JSON; at most 2097152"},
	} {
		stored, err := checkPersonalization(c.under)
		if err != nil || stored == "" {
			t.Errorf("%s just under the limit: %v", c.name, err)
		}
		_, err = checkPersonalization(c.over)
		f, ok := fault.As(err)
		if !ok || f.Code != "personalization_too_large" || f.Kind != fault.KindInvalid || !strings.Contains(f.Message, c.want) {
			t.Errorf("%s just over the limit: %v, want personalization_too_large with %q", c.name, err, c.want)
		}
	}
}

// A key a template cannot name, or an empty user id, is
// invalid_personalization.
func TestPersonalizationShape(t *testing.T) {
	for _, p := range []map[string]map[string]any{
		{"u": {"first-name": "Ann"}},
		{"u": {"1st": "Ann"}},
		{"u": {strings.Repeat("k", 65): "Ann"}},
		{"": {"first_name": "Ann"}},
	} {
		_, err := checkPersonalization(p)
		if f, ok := fault.As(err); !ok || f.Code != "invalid_personalization" {
			t.Errorf("%v: %v, want invalid_personalization", p, err)
		}
	}
	if _, err := checkPersonalization(map[string]map[string]any{"u": {strings.Repeat("k", 64): "Ann", "_x": 3, "ok": nil}}); err != nil {
		t.Fatal(err)
	}
}

package httpapi

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/heraldpush/herald/pkg/fault"
)

// unknownFieldName reads the field name out of encoding/json's error for a
// field the destination lacks (it has no typed error for it).
func unknownFieldName(err error) (string, bool) {
	quoted, ok := strings.CutPrefix(err.Error(), "json: unknown field ")
	if !ok {
		return "", false
	}
	name, uerr := strconv.Unquote(quoted)
	if uerr != nil {
		return quoted, true
	}
	return name, true
}

// unknownField is the 400 for a field dst has no place for, with the
// closest field dst does have when the name is a near miss.
func unknownField(name string, dst any) error {
	if near := nearestField(name, jsonFields(reflect.TypeOf(dst), nil)); near != "" {
		return fault.Malformed("unknown_field", "unknown field %q: did you mean %q?", name, near)
	}
	return fault.Malformed("unknown_field", "unknown field %q: this request has no such field; remove it", name)
}

// jsonFields lists the JSON names of t's fields, nested objects' included.
func jsonFields(t reflect.Type, seen map[reflect.Type]bool) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return nil
	}
	if seen == nil {
		seen = map[reflect.Type]bool{}
	}
	seen[t] = true
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
		out = append(out, jsonFields(f.Type, seen)...)
	}
	return out
}

// nearestField is the candidate name is a near miss of: the same once case,
// "_" and "-" are ignored (userId, user-id), or at most two edits away from
// a name at least four letters long (titel, topcis). "" when none is.
func nearestField(name string, candidates []string) string {
	plain := func(s string) string { return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s)) }
	best, bestDist := "", 3
	for _, c := range candidates {
		if plain(c) == plain(name) {
			return c
		}
		if len(c) < 4 {
			continue
		}
		if d := editDistance(plain(c), plain(name)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

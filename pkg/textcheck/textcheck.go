// Package textcheck holds the rules every text field from outside is held
// to, so that the subscription, notification, event and app inputs check
// text the same way: valid UTF-8 always, no NUL anywhere (PostgreSQL
// refuses it in text, after Herald has accepted the request), and no
// control characters in identifiers, which are matched exactly.
package textcheck

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// Identifier reports whether s is 1 to max characters of valid UTF-8
// without control characters (C0, DEL, C1) or U+FFFD, the mark of text that
// was not valid where it came from: two different invalid ids would become
// the same one.
func Identifier(s string, max int) bool {
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return false
	}
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// FindNUL returns the JSON path of the first string in v (a decoded
// request: structs named by their json tags, maps, slices, pointers,
// interfaces, and json.RawMessage, whose escaped NUL it finds too) that
// holds NUL, and "" when none does. PostgreSQL stores no NUL in text or
// jsonb, so one accepted would fail later, after the request was answered.
func FindNUL(v any) string {
	return findNUL(reflect.ValueOf(v), "")
}

var rawMessage = reflect.TypeFor[json.RawMessage]()

func findNUL(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.String:
		if strings.IndexByte(v.String(), 0) >= 0 {
			return orRoot(path)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return findNUL(v.Elem(), path)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous { // json promotes an unexported embedded struct's fields
				continue
			}
			name := f.Name
			if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == "-" {
				continue
			} else if tag != "" {
				name = tag
			}
			sub := path + "." + name
			if f.Anonymous {
				sub = path
			}
			if p := findNUL(v.Field(i), sub); p != "" {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type() == rawMessage {
			if hasEscapedNUL(v.Bytes()) {
				return orRoot(path)
			}
			return ""
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return ""
		}
		for i := range v.Len() {
			if p := findNUL(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			key := iter.Key()
			if key.Kind() == reflect.String && strings.IndexByte(key.String(), 0) >= 0 {
				return orRoot(path)
			}
			if p := findNUL(iter.Value(), path+"."+key.String()); p != "" {
				return p
			}
		}
	}
	return ""
}

func orRoot(path string) string {
	if path == "" {
		return "."
	}
	return strings.TrimPrefix(path, ".")
}

// hasEscapedNUL reports whether raw JSON holds \u0000 in a string (an
// escape, not an escaped backslash followed by "u0000").
func hasEscapedNUL(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if i+5 < len(raw) && raw[i+1] == 'u' && string(raw[i+2:i+6]) == "0000" {
			return true
		}
		i++ // skip the escaped character
	}
	return false
}

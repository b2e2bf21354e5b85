package textcheck

import (
	"encoding/json"
	"testing"
)

func TestIdentifier(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"user-42": true, "ünïcödé ид": true, "a b": true,
		"": false, "a\x00b": false, "a\nb": false, "a\tb": false, "a\x7fb": false, "a\u0085b": false,
		"a\uFFFDb": false, "caf\xe9": false, "xxxxxxxxxxx": false,
	} {
		if got := Identifier(s, 10); got != want {
			t.Errorf("Identifier(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestFindNUL(t *testing.T) {
	t.Parallel()
	type inner struct {
		Name string `json:"name"`
	}
	type embedded struct {
		Key string `json:"key"`
	}
	type req struct {
		Title   string            `json:"title"`
		IDs     []string          `json:"ids"`
		Inner   *inner            `json:"inner"`
		Labels  map[string]string `json:"labels"`
		Data    json.RawMessage   `json:"data"`
		Any     any               `json:"any"`
		Skipped string            `json:"-"`
		embedded
	}
	cases := map[string]req{
		"":           {Title: "ok", IDs: []string{"a"}, Inner: &inner{"n"}, Data: json.RawMessage(`{"k":"\\u0000 is text here"}`), Skipped: "\x00"},
		"title":      {Title: "a\x00"},
		"ids[1]":     {IDs: []string{"a", "\x00"}},
		"inner.name": {Inner: &inner{"\x00"}},
		"labels.k":   {Labels: map[string]string{"k": "\x00"}},
		"labels":     {Labels: map[string]string{"\x00": "v"}},
		"data":       {Data: json.RawMessage(`{"k":"a\u0000"}`)},
		"any.x[0]":   {Any: map[string]any{"x": []any{"\x00"}}},
		"key":        {embedded: embedded{Key: "\x00"}},
	}
	for want, v := range cases {
		if got := FindNUL(v); got != want {
			t.Errorf("FindNUL(%+v) = %q, want %q", v, got, want)
		}
	}
}

package notification

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/textcheck"
)

// A send request's validation answers nil or a fault, never panics, and
// what it accepts is what the database and the push services take: user
// ids printable, the segment in a canonical form that validates again,
// send_at_local in its canonical layout.
func FuzzRequestValidate(f *testing.F) {
	f.Add("u1", "news", "news && !sales", "Hi", "https://shop.example/x", "2026-12-24T09:00", "cart-42", "promo", []byte(`{"k":1}`))
	f.Add("a\x00b", "a\nb", "((", "", "javascript:x", "9999-99-99T99:99", "\xff", "bad cat", []byte(`{`))
	f.Fuzz(func(t *testing.T, userID, topic, seg, title, link, local, cancelKey, category string, data []byte) {
		for _, target := range []Target{{UserIDs: []string{userID}}, {Topics: []string{topic}}, {Segment: seg}} {
			r := Request{Target: target, Notification: Content{Title: title, URL: link, Data: data},
				SendAtLocal: local, CancelKey: cancelKey, Category: category}
			kind, values, err := r.validate()
			if err != nil {
				if _, ok := fault.As(err); !ok {
					t.Fatalf("untyped error %v", err)
				}
				continue
			}
			for _, v := range values {
				if kind == TargetUsers && !textcheck.Identifier(v, 256) {
					t.Fatalf("accepted user id %q", v)
				}
				if !utf8.ValidString(v) {
					t.Fatalf("accepted invalid UTF-8 %q", v)
				}
			}
			if kind == TargetSegment {
				again := Request{Target: Target{Segment: values[0]}, Notification: Content{Title: "x"}}
				if _, v2, err := again.validate(); err != nil || v2[0] != values[0] {
					t.Fatalf("segment %q canonical %q does not validate to itself: %v", seg, values[0], err)
				}
			}
			if local != "" {
				if canon, err := ParseLocal(local); err != nil || len(canon) != len(localLayout) {
					t.Fatalf("send_at_local %q accepted as %q", local, canon)
				}
			}
			if len(data) > 0 && !json.Valid(data) {
				t.Fatalf("accepted data %q", data)
			}
		}
	})
}

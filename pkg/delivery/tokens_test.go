package delivery

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// fakeTokens stands for engagement.Tokens: a fixed placeholder and a token
// of the same length naming the subscription.
type fakeTokens struct{}

func (fakeTokens) Recipients(_ context.Context, id string) (string, func(string) string, error) {
	placeholder := "v1." + strings.Repeat("P", 43)
	return placeholder, func(sub string) string {
		return "v2." + strings.ReplaceAll(sub, "-", "")[:32] + strings.Repeat("R", 11)
	}, nil
}

// Every occurrence of the placeholder (event_token, a click link) becomes
// the recipient's token; the stored payload is left as it was, and without
// EventTokens payloads go as stored.
func TestStamperWritesEachRecipientsToken(t *testing.T) {
	ctx := context.Background()
	s, err := newStamper(ctx, fakeTokens{}, uuid.NewString())
	if err != nil {
		t.Fatal(err)
	}
	stored := []byte(`{"event_token":"` + s.placeholder + `","url":"https://shop.example/?herald_click=n%3A` + s.placeholder + `"}`)
	original := bytes.Clone(stored)
	p := s.find(stored)
	a, b := uuid.NewString(), uuid.NewString()
	bodyA, bodyB := s.body(p, a), s.body(p, b)
	if bytes.Count(bodyA, []byte(s.recipient(a))) != 2 || bytes.Contains(bodyA, []byte(s.placeholder)) || bytes.Equal(bodyA, bodyB) {
		t.Fatalf("stamped %s / %s", bodyA, bodyB)
	}
	if !bytes.Equal(stored, original) {
		t.Fatalf("the stored payload changed: %s", stored)
	}
	none, _ := newStamper(ctx, nil, "x")
	if got := none.body(none.find(stored), a); !bytes.Equal(got, stored) {
		t.Fatalf("without tokens: %s", got)
	}
}

// BenchmarkStamp is the per-message cost of the recipient's token on a
// 3 KB payload (compare BenchmarkEncrypt in pkg/pushsend).
func BenchmarkStamp(b *testing.B) {
	s, _ := newStamper(context.Background(), fakeTokens{}, uuid.NewString())
	p := s.find([]byte(`{"event_token":"` + s.placeholder + `","body":"` + strings.Repeat("x", 3000) + `"}`))
	sub := uuid.NewString()
	b.ReportAllocs()
	for b.Loop() {
		s.body(p, sub)
	}
}

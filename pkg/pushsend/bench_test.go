package pushsend

import (
	"context"
	"testing"
)

// BenchmarkSend is one sequential send, encryption to closed response,
// against the in-process sim over loopback keep-alive HTTP/1.1.
func BenchmarkSend(b *testing.B) {
	e := newEnv(b, false, Config{})
	sub := e.mint(b, "ok")
	m := e.message(sub, []byte(`{"title":"Benchmark","body":"a typical notification payload","url":"https://shop.example/o/42"}`))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if r := e.sender.Send(ctx, m); r.Outcome != Delivered {
			b.Fatalf("got %v: %v", r.Outcome, r.Err)
		}
	}
}

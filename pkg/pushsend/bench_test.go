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

// BenchmarkSendWebpushGo is BenchmarkSend through webpush-go, the reference.
func BenchmarkSendWebpushGo(b *testing.B) {
	e := newEnv(b, false, Config{WebpushGo: true})
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

// BenchmarkEncrypt compares the two encryptions alone.
func BenchmarkEncrypt(b *testing.B) {
	e := newEnv(b, false, Config{})
	sub := e.mint(b, "ok")
	payload := []byte(`{"title":"Benchmark","body":"a typical notification payload","url":"https://shop.example/o/42"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encryptPayload(payload, sub.Keys.P256dh, sub.Keys.Auth); err != nil {
			b.Fatal(err)
		}
	}
}

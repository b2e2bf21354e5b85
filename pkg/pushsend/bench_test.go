package pushsend

import (
	"context"
	"testing"
)

// benchPayload is a typical notification.
var benchPayload = []byte(`{"title":"Benchmark","body":"a typical notification payload","url":"https://shop.example/o/42"}`)

// BenchmarkSend is one sequential send, encryption to closed response,
// against the in-process sim over loopback keep-alive HTTP/1.1.
func BenchmarkSend(b *testing.B) { benchSend(b, Config{}) }

// BenchmarkSendWebpushGo is BenchmarkSend through webpush-go, the reference.
func BenchmarkSendWebpushGo(b *testing.B) { benchSend(b, Config{WebpushGo: true}) }

func benchSend(b *testing.B, cfg Config) {
	e := newEnv(b, false, cfg)
	m := e.message(e.mint(b, "ok"), benchPayload)
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
	payload := benchPayload
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encryptPayload(payload, sub.Keys.P256dh, sub.Keys.Auth); err != nil {
			b.Fatal(err)
		}
	}
}

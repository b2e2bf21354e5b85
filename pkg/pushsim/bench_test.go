package pushsim

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

// BenchmarkPush measures the push endpoint's own cost (JWT cache hit, ECDH,
// decryption, bookkeeping) without the network.
func BenchmarkPush(b *testing.B) {
	srv := New(Config{PublicOrigin: "http://push.test"})
	subs, err := srv.MintN(1000, Behavior{})
	if err != nil {
		b.Fatal(err)
	}
	key := newVAPIDKey(b)
	reqs := make([]pushReq, len(subs))
	for i, s := range subs {
		reqs[i] = validPush(b, s, key, srv.PublicOrigin(), time.Now(), `{"title":"bench"}`)
	}
	h := srv.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			p, s := reqs[i%len(reqs)], subs[i%len(subs)]
			i++
			req := httptest.NewRequest(http.MethodPost, s.Endpoint, bytes.NewReader(p.body))
			req.Header.Set("TTL", p.ttl)
			req.Header.Set("Content-Encoding", p.encoding)
			req.Header.Set("Authorization", p.auth)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusCreated {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
}

func BenchmarkMint(b *testing.B) {
	srv := New(Config{PublicOrigin: "http://push.test"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := srv.Mint(Behavior{}, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMemoryPerSubscription reports the heap a minted subscription costs.
func BenchmarkMemoryPerSubscription(b *testing.B) {
	const n = 100000
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		srv := New(Config{PublicOrigin: "http://push.test"})
		if _, err := srv.MintN(n, Behavior{}); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/sub")
		runtime.KeepAlive(srv)
	}
}

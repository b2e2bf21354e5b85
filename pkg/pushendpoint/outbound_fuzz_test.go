package pushendpoint

import (
	"testing"

	"github.com/heraldpush/herald/pkg/testkit/hostread"
)

// CheckOutbound (webhook URLs) never panics and accepts only an http(s)
// URL that is https unless its origin is listed, and whose host no
// resolver or browser reads as this machine or a private or link-local
// network unless its origin is listed; its canonical spelling is accepted
// too, with the same origin, so the allow list decides the same for both.
func FuzzCheckOutbound(f *testing.F) {
	for _, seed := range []string{"https://hooks.example.com/herald", "http://127.0.0.1:9999/hook", "https://127.0.0.1/x",
		"https://10.0.0.1/x", "https://[::1]/x", "https://169.254.169.254/latest/meta-data", "https://LOCALHOST:8443/x",
		"https://[::ffff:192.168.0.1]/x", "https://hooks.example.com:0443/x?a=b", "http://hooks.example.com/x",
		"https://user@hooks.example.com/x", "https://hooks.example.com/x#frag", "ftp://hooks.example.com/x",
		"https://[fe80::1%25eth0]/x", "https://8.8.8.8/x", "https://xn--bcher-kva.example/x"} {
		f.Add(seed)
	}
	listed := "http://127.0.0.1:9999"
	p, err := NewPolicy([]string{listed})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := p.CheckOutbound(raw)
		if err != nil {
			return // a refusal, well formed (ErrOutboundNotAllowed) or not
		}
		origin := Canonical(u.Scheme + "://" + u.Host)
		if origin != listed {
			if u.Scheme != "https" {
				t.Fatalf("CheckOutbound(%q) accepted scheme %q", raw, u.Scheme)
			}
			if hostread.Garbled(u.Hostname()) {
				t.Fatalf("CheckOutbound(%q) accepted host %q, no host name", raw, u.Hostname())
			}
			if why := hostread.Internal(u.Hostname()); why != "" {
				t.Fatalf("CheckOutbound(%q) accepted host %q, %s", raw, u.Hostname(), why)
			}
		}
		canonical := Canonical(raw)
		cu, err := p.CheckOutbound(canonical)
		if err != nil {
			t.Fatalf("CheckOutbound accepts %q but not its canonical %q: %v", raw, canonical, err)
		}
		if Canonical(cu.Scheme+"://"+cu.Host) != origin {
			t.Fatalf("canonical %q of %q has another origin", canonical, raw)
		}
	})
}

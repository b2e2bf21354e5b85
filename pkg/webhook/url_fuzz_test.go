package webhook

import (
	"net/url"
	"testing"

	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/testkit/hostread"
)

// An endpoint's URL as Create and Update take it: refused with a fault
// (invalid_webhook_url or webhook_url_not_allowed, both 422), or stored in
// a spelling the guard accepts again with the same origin (the dispatcher
// requests exactly that string), whose host no resolver or browser reads
// as this machine or a private or link-local network unless the origin is
// on the allow list.
func FuzzEndpointURL(f *testing.F) {
	for _, seed := range []string{"https://hooks.example.com/herald?k=v", "http://127.0.0.1:9999/hook",
		"https://10.0.0.1/hook", "https://127.0.0.1/hook", "https://[::1]:8443/", "https://localhost/hook",
		"https://hooks.example.com/a%2Fb/%zz", "https://hooks.example.com/caf\u00e9", "https://HOOKS.example.com:443/x",
		"http://hooks.example.com/x", "https://100.64.0.1/x", "https://[::ffff:10.0.0.1]/x", "https://hooks.example.com/x?%",
		// Loopback in the forms resolvers read too (once accepted).
		"https://127.1/hook", "https://2130706433/", "https://0x7f.0.0.1/", "https://localhost./", "https://10.0.0.1./", "https://0/"} {
		f.Add(seed)
	}
	listed := "http://127.0.0.1:9999"
	policy, err := pushendpoint.NewPolicy([]string{listed})
	if err != nil {
		f.Fatal(err)
	}
	s := &Store{urls: policy}
	f.Fuzz(func(t *testing.T, raw string) {
		stored, err := s.checkURL(raw)
		if err != nil {
			if fe, ok := fault.As(err); !ok || fe.Code != "invalid_webhook_url" && fe.Code != "webhook_url_not_allowed" {
				t.Fatalf("checkURL(%q): %v, want an invalid_webhook_url or webhook_url_not_allowed fault", raw, err)
			}
			return
		}
		again, err := policy.CheckOutbound(stored)
		if err != nil {
			t.Fatalf("%q is stored as %q, which the guard refuses: %v", raw, stored, err)
		}
		first, _ := url.Parse(raw)
		origin := pushendpoint.Canonical(first.Scheme + "://" + first.Host)
		if pushendpoint.Canonical(again.Scheme+"://"+again.Host) != origin {
			t.Fatalf("%q is stored as %q, another origin", raw, stored)
		}
		if hostread.Garbled(again.Hostname()) {
			t.Fatalf("%q is stored as %q: host %q is no host name", raw, stored, again.Hostname())
		}
		if origin == listed {
			return
		}
		if why := hostread.Internal(again.Hostname()); why != "" {
			t.Fatalf("%q is stored as %q: host %q is %s, and the origin is not listed", raw, stored, again.Hostname(), why)
		}
	})
}

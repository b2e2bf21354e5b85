package pushendpoint

import (
	"net"
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/fault"
)

// Check never panics, refuses with a fault, and accepts only https to a
// named public push service or an origin the operator listed; Canonical
// never panics, is idempotent, and what Check accepts it accepts
// canonical too, with only scheme, host and port respelled.
func FuzzCheck(f *testing.F) {
	for _, seed := range []string{"https://fcm.googleapis.com/fcm/send/x", "https://FCM.GOOGLEAPIS.COM:443/x",
		"https://updates.push.services.mozilla.com/wpush/v2/x", "http://127.0.0.1:9999/push", "https://2130706433/x",
		"https://[::1]/x", "https://10.0.0.1/x", "https://web.push.apple.com/x", "javascript:alert(1)", "https://%00/x",
		"https://fcm.googleapis.com:0443/x", "HTTPS://Web.Push.Apple.Com:443/Ab?c=D", "https://fcm.googleapis.com:/x", "https://[0:0::1]:443/x"} {
		f.Add(seed)
	}
	listed := "http://127.0.0.1:9999"
	p, err := NewPolicy([]string{listed})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, endpoint string) {
		canonical := Canonical(endpoint)
		if again := Canonical(canonical); again != canonical {
			t.Fatalf("Canonical(%q) = %q, then %q", endpoint, canonical, again)
		}
		u, err := p.Check(endpoint)
		if err == nil {
			cu, cerr := p.Check(canonical)
			if cerr != nil {
				t.Fatalf("Check accepts %q but not its canonical %q: %v", endpoint, canonical, cerr)
			}
			if cu.RequestURI() != u.RequestURI() || !strings.EqualFold(cu.Hostname(), u.Hostname()) && net.ParseIP(u.Hostname()) == nil {
				t.Fatalf("Canonical(%q) = %q changed more than scheme, host and port", endpoint, canonical)
			}
		}
		if err != nil {
			if _, ok := fault.As(err); !ok {
				t.Fatalf("Check(%q): untyped error %v", endpoint, err)
			}
			return
		}
		// The origin as the policy reads it: a port is a number, so
		// http://127.0.0.1:09999 is the listed http://127.0.0.1:9999
		// (the dialer reads it so too), not a way around the list.
		origin := Canonical(u.Scheme + "://" + u.Host)
		if u.Scheme != "https" && origin != listed {
			t.Fatalf("Check(%q) accepted scheme %q", endpoint, u.Scheme)
		}
		if ip := net.ParseIP(u.Hostname()); ip != nil && origin != listed && (ip.IsLoopback() || ip.IsPrivate()) {
			t.Fatalf("Check(%q) accepted a private address", endpoint)
		}
	})
}

package pushendpoint

import (
	"net"
	"testing"

	"github.com/heraldpush/herald/pkg/fault"
)

// Check never panics, refuses with a fault, and accepts only https to a
// named public push service or an origin the operator listed.
func FuzzCheck(f *testing.F) {
	for _, seed := range []string{"https://fcm.googleapis.com/fcm/send/x", "https://FCM.GOOGLEAPIS.COM:443/x",
		"https://updates.push.services.mozilla.com/wpush/v2/x", "http://127.0.0.1:9999/push", "https://2130706433/x",
		"https://[::1]/x", "https://10.0.0.1/x", "https://web.push.apple.com/x", "javascript:alert(1)", "https://%00/x"} {
		f.Add(seed)
	}
	listed := "http://127.0.0.1:9999"
	p, err := NewPolicy([]string{listed})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, endpoint string) {
		u, err := p.Check(endpoint)
		if err != nil {
			if _, ok := fault.As(err); !ok {
				t.Fatalf("Check(%q): untyped error %v", endpoint, err)
			}
			return
		}
		origin := u.Scheme + "://" + u.Host
		if u.Scheme != "https" && origin != listed {
			t.Fatalf("Check(%q) accepted scheme %q", endpoint, u.Scheme)
		}
		if ip := net.ParseIP(u.Hostname()); ip != nil && origin != listed && (ip.IsLoopback() || ip.IsPrivate()) {
			t.Fatalf("Check(%q) accepted a private address", endpoint)
		}
	})
}

package pushendpoint

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/fault"
)

func TestNewPolicyRejectsBadOrigins(t *testing.T) {
	for _, entry := range []string{
		"127.0.0.1:9999",                // no scheme
		"ftp://push.example.com",        // wrong scheme
		"https://push.example.com/path", // path
		"https://push.example.com?x=1",  // query
		"https://push.example.com/#x",   // fragment
		"https://user:pw@push.example.com",
		"https://push.example.com:0",
		"https://push.example.com:70000",
		"https://",
		"http://[::1",
	} {
		_, err := NewPolicy([]string{"https://ok.example.com", entry})
		if err == nil {
			t.Errorf("NewPolicy(%q) accepted a bad origin", entry)
			continue
		}
		if !strings.Contains(err.Error(), entry) || !strings.Contains(err.Error(), "scheme://host[:port]") {
			t.Errorf("NewPolicy(%q) error %q should name the entry and the expected form", entry, err)
		}
	}
}

func TestNewPolicyNormalizesOrigins(t *testing.T) {
	p, err := NewPolicy([]string{" HTTP://LocalHost:9999/ ", "https://[0:0::1]", "https://push.example.com:443", "", "http://127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(p.Origins(), " ")
	want := "http://127.0.0.1:80 http://localhost:9999 https://[::1]:443 https://push.example.com:443"
	if got != want {
		t.Errorf("Origins() = %q, want %q", got, want)
	}
}

func TestCheck(t *testing.T) {
	p, err := NewPolicy([]string{"http://127.0.0.1:9999", "https://push.example.com", "https://[::1]:8443"})
	if err != nil {
		t.Fatal(err)
	}
	const (
		ok         = ""
		invalid    = "invalid_endpoint"
		notAllowed = "endpoint_not_allowed"
	)
	tests := []struct {
		name, endpoint, code string
	}{
		{"fcm", "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx", ok},
		{"fcm explicit port", "https://fcm.googleapis.com:443/fcm/send/abc", ok},
		{"fcm upper-case host", "https://FCM.googleapis.com/fcm/send/abc", ok},
		{"legacy gcm", "https://android.googleapis.com/gcm/send/abc", ok},
		{"mozilla", "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABe", ok},
		{"mozilla subdomain", "https://push-stage.push.services.mozilla.com/wpush/v1/abc", ok},
		{"apple", "https://web.push.apple.com/QGuQyavXutnMK6Hk1DnFO9zw", ok},
		{"apple subdomain", "https://api.push.apple.com/3/device/abc", ok},
		{"wns", "https://wns2-by3p.notify.windows.com/w/?token=BQYAAAB%2f", ok},
		{"listed http origin", "http://127.0.0.1:9999/push/abc", ok},
		{"listed origin default port", "https://push.example.com/p/1", ok},
		{"listed ipv6 origin", "https://[0::1]:8443/p/1", ok},

		{"http fcm", "http://fcm.googleapis.com/fcm/send/abc", notAllowed},
		{"unlisted port on listed host", "http://127.0.0.1:9998/push/abc", notAllowed},
		{"listed origin wrong scheme", "https://127.0.0.1:9999/push/abc", notAllowed},
		{"loopback", "https://127.0.0.1/push", notAllowed},
		{"private", "https://10.0.0.1/push", notAllowed},
		{"ipv6 loopback", "https://[::1]/push", notAllowed},
		{"localhost", "https://localhost/push", notAllowed},
		{"metadata", "http://169.254.169.254/latest/meta-data/", notAllowed},
		{"metadata https", "https://169.254.169.254/", notAllowed},
		{"suffix trick", "https://fcm.googleapis.com.evil.com/fcm/send/abc", notAllowed},
		{"bare suffix", "https://push.apple.com/abc", notAllowed},
		{"other port on fcm", "https://fcm.googleapis.com:8443/fcm/send/abc", notAllowed},
		{"unknown host", "https://push.evil.example/abc", notAllowed},
		{"decimal ip", "https://2130706433/abc", notAllowed},

		{"userinfo trick", "https://fcm.googleapis.com@evil.com/", invalid},
		{"userinfo with password", "https://u:p@fcm.googleapis.com/fcm/send/abc", invalid},
		{"backslash trick", `https://evil.com\@fcm.googleapis.com/`, invalid},
		{"fragment", "https://fcm.googleapis.com/fcm/send/abc#x", invalid},
		{"empty fragment", "https://fcm.googleapis.com/fcm/send/abc#", invalid},
		{"too long", "https://fcm.googleapis.com/fcm/send/" + strings.Repeat("a", MaxEndpointLength), invalid},
		{"empty", "", invalid},
		{"relative", "/fcm/send/abc", invalid},
		{"no host", "https:///fcm/send/abc", invalid},
		{"opaque", "mailto:someone@example.com", invalid},
		{"wrong scheme", "ftp://fcm.googleapis.com/abc", invalid},
		{"whitespace", " https://fcm.googleapis.com/fcm/send/abc", invalid},
		{"newline", "https://fcm.googleapis.com/fcm/send/abc\n", invalid},
		{"port out of range", "https://fcm.googleapis.com:99999/abc", invalid},
		{"bad escape", "https://fcm.googleapis.com/%zz", invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := p.Check(tt.endpoint)
			if tt.code == ok {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want accepted", tt.endpoint, err)
				}
				if u == nil || u.String() == "" {
					t.Fatalf("Check(%q) returned no URL", tt.endpoint)
				}
				return
			}
			f, isFault := fault.As(err)
			if !isFault {
				t.Fatalf("Check(%q) = %v, want fault %s", tt.endpoint, err, tt.code)
			}
			if f.Code != tt.code || f.Kind != fault.KindInvalid {
				t.Fatalf("Check(%q) = %v, want code %s", tt.endpoint, err, tt.code)
			}
			if u != nil {
				t.Errorf("Check(%q) returned a URL with an error", tt.endpoint)
			}
		})
	}
}

func TestCheckMessagesHelpOperators(t *testing.T) {
	p, _ := NewPolicy(nil)
	for endpoint, hint := range map[string]string{
		"http://push.example.com/x":       "plain http",
		"https://127.0.0.1/x":             "loopback",
		"https://localhost/x":             "loopback",
		"https://10.1.2.3/x":              "private",
		"https://[fd00::1]/x":             "private",
		"https://169.254.169.254/x":       "link-local",
		"https://fcm.googleapis.com:8443": "port 443",
	} {
		_, err := p.Check(endpoint)
		if !errors.Is(err, ErrEndpointNotAllowed) {
			t.Fatalf("Check(%q) = %v, want ErrEndpointNotAllowed", endpoint, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, hint) || !strings.Contains(msg, ExtraOriginsEnv) {
			t.Errorf("Check(%q) message %q should mention %q and %s", endpoint, msg, hint, ExtraOriginsEnv)
		}
	}
}

func TestNilPolicyAcceptsOnlyBuiltins(t *testing.T) {
	var p *Policy
	if _, err := p.Check("https://fcm.googleapis.com/fcm/send/abc"); err != nil {
		t.Errorf("nil policy refused FCM: %v", err)
	}
	if _, err := p.Check("http://127.0.0.1:9999/"); !errors.Is(err, ErrEndpointNotAllowed) {
		t.Errorf("nil policy: got %v, want ErrEndpointNotAllowed", err)
	}
}

func TestClassify(t *testing.T) {
	tests := map[string]Service{
		"https://fcm.googleapis.com/fcm/send/x":            FCM,
		"https://android.googleapis.com/gcm/send/x":        FCM,
		"https://updates.push.services.mozilla.com/wpush/": Mozilla,
		"https://a.b.push.services.mozilla.com/":           Mozilla,
		"https://web.push.apple.com/x":                     Apple,
		"https://WEB.PUSH.APPLE.COM/x":                     Apple,
		"https://wns2-by3p.notify.windows.com/w/?token=x":  WNS,
		"https://notify.windows.com/":                      Other,
		"https://fcm.googleapis.com.evil.com/":             Other,
		"https://evilfcm.googleapis.com/":                  Other,
		"https://evil_.push.apple.com/":                    Other,
		"https://.push.apple.com/":                         Other,
		"https://127.0.0.1/":                               Other,
		"http://localhost:9999/":                           Other,
	}
	for raw, want := range tests {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := Classify(u); got != want {
			t.Errorf("Classify(%q) = %q, want %q", raw, got, want)
		}
	}
	if got := Classify(nil); got != Other {
		t.Errorf("Classify(nil) = %q, want other", got)
	}
}

func TestOrigin(t *testing.T) {
	tests := map[string]string{
		"https://fcm.googleapis.com/fcm/send/x":        "https://fcm.googleapis.com",
		"https://fcm.googleapis.com:443/fcm/send/x":    "https://fcm.googleapis.com",
		"HTTPS://Web.Push.Apple.com/x?y#z":             "https://web.push.apple.com",
		"https://push.example.com:8443/x":              "https://push.example.com:8443",
		"http://127.0.0.1:9999/push":                   "http://127.0.0.1:9999",
		"http://127.0.0.1:80/push":                     "http://127.0.0.1",
		"https://[0:0::1]:8443/push":                   "https://[::1]:8443",
		"https://wns2-by3p.notify.windows.com/w/?t=ab": "https://wns2-by3p.notify.windows.com",
		"ftp://example.com/":                           "",
	}
	for raw, want := range tests {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := Origin(u); got != want {
			t.Errorf("Origin(%q) = %q, want %q", raw, got, want)
		}
	}
}

// Canonical respells scheme, host and port only.
func TestCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"https://FCM.GOOGLEAPIS.COM/fcm/send/AbC":       "https://fcm.googleapis.com/fcm/send/AbC",
		"https://fcm.googleapis.com:0443/fcm/send/AbC":  "https://fcm.googleapis.com/fcm/send/AbC",
		"HTTPS://Fcm.GoogleApis.com:443/fcm/send/AbC":   "https://fcm.googleapis.com/fcm/send/AbC",
		"https://fcm.googleapis.com:/x?Q=R":             "https://fcm.googleapis.com/x?Q=R",
		"http://127.0.0.1:80/push":                      "http://127.0.0.1/push",
		"http://127.0.0.1:9999/Push":                    "http://127.0.0.1:9999/Push",
		"https://[0:0::1]:443/x":                        "https://[::1]/x",
		"https://[FE80::1%25eth0]:443/x":                "https://[fe80::1%25eth0]/x",  // a zone stays escaped
		"https://Hooks\xc6.example/x":                   "https://Hooks\xc6.example/x", // not UTF-8: left for Check to refuse
		"https://Web.Push.Apple.com":                    "https://web.push.apple.com",
		"https://user@FCM.googleapis.com/x":             "https://user@FCM.googleapis.com/x",
		"ftp://FCM.googleapis.com/x":                    "ftp://FCM.googleapis.com/x",
		"not a url":                                     "not a url",
		"https://fcm.googleapis.com:99999/x":            "https://fcm.googleapis.com:99999/x",
		"https://updates.push.services.mozilla.com/A:B": "https://updates.push.services.mozilla.com/A:B",
	} {
		if got := Canonical(in); got != want {
			t.Errorf("Canonical(%q) = %q, want %q", in, got, want)
		}
	}
}

// Package pushendpoint decides which Web Push endpoints Herald accepts and
// dials. Subscriptions name an arbitrary URL that Herald's workers will POST
// to, so this package is also Herald's SSRF guard: Policy.Check refuses
// endpoints that are not known push services at subscribe time, and
// Policy.DialContext refuses internal addresses at connect time, after DNS.
package pushendpoint

import (
	"net/url"
	"strings"
)

// Service names the push service behind an endpoint; workers use it to pick
// per-service quirks and to label metrics.
type Service string

const (
	FCM     Service = "fcm"     // Google Firebase Cloud Messaging (Chrome and most Chromium browsers)
	Mozilla Service = "mozilla" // Mozilla autopush (Firefox)
	Apple   Service = "apple"   // Apple Push Notification service for the web (Safari)
	WNS     Service = "wns"     // Windows Push Notification Services (Microsoft Edge)
	Other   Service = "other"   // anything else, e.g. an extra origin an operator trusts
)

// Classify says which push service serves u, judged by host alone.
func Classify(u *url.URL) Service {
	if u == nil {
		return Other
	}
	return classifyHost(strings.ToLower(u.Hostname()))
}

// ServiceOf says which push service serves an endpoint URL.
func ServiceOf(endpoint string) Service {
	u, err := url.Parse(endpoint)
	if err != nil {
		return Other
	}
	return Classify(u)
}

// classifyHost matches a lower-case host name against the built-in services.
func classifyHost(host string) Service {
	switch host {
	case "fcm.googleapis.com", "android.googleapis.com": // android.* is legacy GCM, still in old subscriptions
		return FCM
	case "updates.push.services.mozilla.com":
		return Mozilla
	case "web.push.apple.com":
		return Apple
	}
	switch {
	case isSubdomainOf(host, ".push.services.mozilla.com"):
		return Mozilla
	case isSubdomainOf(host, ".push.apple.com"):
		return Apple
	case isSubdomainOf(host, ".notify.windows.com"):
		return WNS
	}
	return Other
}

// isSubdomainOf reports whether host is one or more DNS labels followed by
// suffix (which starts with a dot).
func isSubdomainOf(host, suffix string) bool {
	label, ok := strings.CutSuffix(host, suffix)
	return ok && isDNSName(label)
}

// isDNSName reports whether s is one or more dot-separated LDH labels, so a
// suffix match cannot be satisfied by a host holding odd bytes or empty labels.
func isDNSName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

package app

import (
	"net/url"
	"strings"

	"github.com/heraldpush/herald/pkg/fault"
)

const maxAllowedOrigins = 50

// normalizeOrigins validates the origins allowed to call public routes. Each
// is scheme://host[:port] as a browser sends it in the Origin header.
func normalizeOrigins(origins []string) ([]string, error) {
	if len(origins) > maxAllowedOrigins {
		return nil, fault.Invalid("invalid_allowed_origins", "at most %d allowed_origins", maxAllowedOrigins)
	}
	out := make([]string, 0, len(origins))
	seen := map[string]bool{}
	for _, o := range origins {
		u, err := url.Parse(strings.TrimSpace(o))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return nil, fault.Invalid("invalid_allowed_origins",
				"%q is not an origin: use scheme://host[:port], like https://shop.example", o)
		}
		n := normalizeOriginText(u.Scheme + "://" + u.Host)
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

// normalizeOriginText lower-cases and drops default ports, as browsers do.
func normalizeOriginText(o string) string {
	o = strings.ToLower(strings.TrimSuffix(o, "/"))
	if h, ok := strings.CutSuffix(o, ":443"); ok && strings.HasPrefix(o, "https://") {
		return h
	}
	if h, ok := strings.CutSuffix(o, ":80"); ok && strings.HasPrefix(o, "http://") {
		return h
	}
	return o
}

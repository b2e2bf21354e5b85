package pushendpoint

import (
	"fmt"
	"maps"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/heraldpush/herald/pkg/fault"
)

// MaxEndpointLength bounds an endpoint URL in bytes; real push endpoints are
// well under 1 KiB and the limit keeps stored rows and logs small.
const MaxEndpointLength = 2048

// ExtraOriginsEnv is the setting operators use to trust more push origins;
// refusals name it so the fix is obvious.
const ExtraOriginsEnv = "HERALD_PUSH_EXTRA_ORIGINS"

// Sentinel faults; errors.Is matches any fault with the same code.
var (
	ErrInvalidEndpoint    = fault.Invalid("invalid_endpoint", "endpoint is not a valid absolute URL")
	ErrEndpointNotAllowed = fault.Invalid("endpoint_not_allowed", "endpoint is not a known push service")
)

// Policy is the set of push origins Herald accepts: the built-in push
// services plus extra origins the operator trusts (a self-hosted push
// service, a simulator in tests). The zero value and nil accept only the
// built-in services. A Policy is immutable and safe for concurrent use.
type Policy struct {
	origins   map[string]bool // origin.key() of each extra origin
	dialAddrs map[string]bool // host:port of each extra origin, as dialers see it
}

// NewPolicy builds a Policy trusting extraOrigins, each written as
// scheme://host[:port] with scheme http or https. Empty entries are skipped.
func NewPolicy(extraOrigins []string) (*Policy, error) {
	p := &Policy{origins: map[string]bool{}, dialAddrs: map[string]bool{}}
	for _, entry := range extraOrigins {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		o, err := parseExtraOrigin(entry)
		if err != nil {
			return nil, fmt.Errorf("extra push origin %q: %w; want scheme://host[:port] with scheme http or https, e.g. https://push.example.com or http://127.0.0.1:9999", entry, err)
		}
		p.origins[o.key()] = true
		p.dialAddrs[o.hostPort()] = true
	}
	return p, nil
}

// parseExtraOrigin accepts a bare origin; a trailing "/" is tolerated since
// people often copy one along.
func parseExtraOrigin(s string) (origin, error) {
	u, err := url.Parse(s)
	if err != nil {
		return origin{}, fmt.Errorf("not a URL: %w", err)
	}
	switch {
	case u.Scheme == "" || u.Host == "" || u.Opaque != "":
		return origin{}, fmt.Errorf("not an absolute URL")
	case u.User != nil:
		return origin{}, fmt.Errorf("must not contain user info")
	case u.Path != "" && u.Path != "/":
		return origin{}, fmt.Errorf("must not contain a path")
	case u.RawQuery != "" || u.ForceQuery:
		return origin{}, fmt.Errorf("must not contain a query")
	case strings.Contains(s, "#"):
		return origin{}, fmt.Errorf("must not contain a fragment")
	}
	return parseOrigin(u)
}

// Origins lists the extra origins, canonical and with explicit ports, for
// start-up logs.
func (p *Policy) Origins() []string {
	if p == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(p.origins))
}

// Check parses endpoint and decides whether Herald may deliver to it. It
// returns the parsed URL, or a fault coded invalid_endpoint (not a usable
// absolute URL) or endpoint_not_allowed (well formed, but neither a built-in
// push service on https:443 nor an extra origin).
func (p *Policy) Check(endpoint string) (*url.URL, error) {
	if endpoint == "" {
		return nil, fault.Invalid(ErrInvalidEndpoint.Code, "endpoint is empty")
	}
	if len(endpoint) > MaxEndpointLength {
		return nil, fault.Invalid(ErrInvalidEndpoint.Code, "endpoint is %d bytes long; the limit is %d", len(endpoint), MaxEndpointLength)
	}
	for i := 0; i < len(endpoint); i++ {
		if c := endpoint[i]; c <= ' ' || c == 0x7f {
			return nil, fault.Invalid(ErrInvalidEndpoint.Code, "endpoint contains whitespace or control characters")
		}
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		// url.Error repeats the whole input; the reason alone is enough.
		var reason error = err
		if ue, ok := err.(*url.Error); ok {
			reason = ue.Err
		}
		return nil, fault.Invalid(ErrInvalidEndpoint.Code, "endpoint is not a valid URL: %v", reason)
	}
	switch {
	case !u.IsAbs() || u.Opaque != "" || u.Host == "":
		return nil, fault.Invalid(ErrInvalidEndpoint.Code, "endpoint must be an absolute https:// URL")
	case u.User != nil:
		return nil, fault.Invalid(ErrInvalidEndpoint.Code, "endpoint must not contain user info (user@host)")
	case strings.Contains(endpoint, "#"):
		return nil, fault.Invalid(ErrInvalidEndpoint.Code, "endpoint must not contain a fragment")
	}
	o, err := parseOrigin(u)
	if err != nil {
		return nil, fault.Invalid(ErrInvalidEndpoint.Code, "endpoint %s", err)
	}
	if p.allowsOrigin(o) {
		return u, nil
	}
	if o.scheme == "https" && o.port == "443" && classifyHost(o.host) != Other {
		return u, nil
	}
	return nil, notAllowed(o)
}

func (p *Policy) allowsOrigin(o origin) bool {
	return p != nil && p.origins[o.key()]
}

// notAllowed explains a refusal, naming the usual reasons an operator hits.
func notAllowed(o origin) error {
	var why string
	switch {
	case o.scheme == "http":
		why = " (it uses plain http)"
	case isLocalhostName(o.host):
		why = " (localhost is a loopback name)"
	case classifyHost(o.host) != Other:
		why = " (push services are only reached on port 443)"
	default:
		if ip, err := netip.ParseAddr(o.host); err == nil {
			if kind := forbiddenAddrKind(ip); kind != "" {
				why = fmt.Sprintf(" (it is a %s address)", kind)
			}
		}
	}
	return fault.Invalid(ErrEndpointNotAllowed.Code,
		"endpoint origin %s is not a known push service (FCM, Mozilla, Apple, WNS)%s; if it is trusted, add it to %s",
		o, why, ExtraOriginsEnv)
}

func isLocalhostName(host string) bool {
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

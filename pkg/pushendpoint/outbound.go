package pushendpoint

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// ErrOutboundNotAllowed is wrapped by CheckOutbound's refusals of a well
// formed URL whose host Herald must not reach.
var ErrOutboundNotAllowed = errors.New("pushendpoint: outbound URL not allowed")

// CheckOutbound vets a URL Herald will call on a user's behalf other than
// a push endpoint (a webhook): an absolute http(s) URL without user info or
// fragment, on https unless its origin is one of the policy's extra
// origins, and naming no loopback, private or link-local address (IP
// literal or localhost name) unless its origin is listed. Names are
// checked again after DNS, at connect time, by DialContext. A refusal of a
// well-formed URL wraps ErrOutboundNotAllowed; other errors mean the URL is
// malformed. The message is the reason, for the caller's fault.
func (p *Policy) CheckOutbound(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("url is empty")
	}
	if len(raw) > MaxEndpointLength {
		return nil, fmt.Errorf("url is %d bytes long; the limit is %d", len(raw), MaxEndpointLength)
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c == 0x7f {
			return nil, errors.New("url contains whitespace or control characters")
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		var reason error = err
		if ue, ok := err.(*url.Error); ok {
			reason = ue.Err
		}
		return nil, fmt.Errorf("url is not valid: %v", reason)
	}
	switch {
	case !u.IsAbs() || u.Opaque != "" || u.Host == "":
		return nil, errors.New("url must be an absolute https:// URL")
	case u.User != nil:
		return nil, errors.New("url must not contain user info (user@host)")
	case strings.Contains(raw, "#"):
		return nil, errors.New("url must not contain a fragment")
	}
	o, err := parseOrigin(u)
	if err != nil {
		return nil, fmt.Errorf("url %s", err)
	}
	if p.allowsOrigin(o) {
		return u, nil
	}
	if o.scheme != "https" {
		return nil, fmt.Errorf("origin %s uses plain http; use https, or list the origin in the extra origins: %w", o, ErrOutboundNotAllowed)
	}
	if isLocalhostName(o.host) {
		return nil, fmt.Errorf("origin %s is a loopback name; list the origin in the extra origins to allow it: %w", o, ErrOutboundNotAllowed)
	}
	if ip, err := netip.ParseAddr(o.host); err == nil {
		if kind := forbiddenAddrKind(ip); kind != "" {
			return nil, fmt.Errorf("origin %s is a %s address; list the origin in the extra origins to allow it: %w", o, kind, ErrOutboundNotAllowed)
		}
	}
	return u, nil
}

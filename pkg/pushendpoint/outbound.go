package pushendpoint

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"unicode/utf8"
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
	// A fully qualified name ends in dots the resolver drops: localhost.
	// is localhost, 127.0.0.1. is 127.0.0.1.
	host := strings.TrimRight(o.host, ".")
	if isLocalhostName(host) {
		return nil, fmt.Errorf("origin %s is a loopback name; list the origin in the extra origins to allow it: %w", o, ErrOutboundNotAllowed)
	}
	ip, err := netip.ParseAddr(host)
	switch {
	case err != nil && !utf8.ValidString(host):
		return nil, fmt.Errorf("url host %q is not UTF-8 text", o.host)
	case err != nil && strings.ContainsAny(host, forbiddenHostChars):
		return nil, fmt.Errorf("url host %q holds a character no host name has (one of %s)", o.host, forbiddenHostChars)
	case err != nil && endsInNumber(host):
		return nil, fmt.Errorf("url host %q is an IPv4 address in a short, octal, hexadecimal or single-number form; write it as four decimal numbers (a.b.c.d)", o.host)
	}
	if err == nil {
		if ip.Zone() != "" {
			return nil, fmt.Errorf("url host %s names a network interface (an IPv6 zone), which only reaches this host's own links: %w", o.host, ErrOutboundNotAllowed)
		}
		if kind := forbiddenAddrKind(ip); kind != "" {
			return nil, fmt.Errorf("origin %s is a %s address; list the origin in the extra origins to allow it: %w", o, kind, ErrOutboundNotAllowed)
		}
	}
	return u, nil
}

// forbiddenHostChars are the WHATWG URL standard's forbidden host code
// points that url.Parse lets through in a host name (https://0] has host
// "0]"): no resolver takes such a name, and no receiver has one.
const forbiddenHostChars = "#%/:<>?@[\\]^|"

// endsInNumber reports whether host's last label is a number, decimal or
// 0x-hexadecimal: URL parsers (WHATWG) and getaddrinfo then read the whole
// host as an IPv4 address (127.1, 0x7f000001 and 2130706433 are all
// 127.0.0.1), which the check above only knows in dotted decimal.
func endsInNumber(host string) bool {
	last := host[strings.LastIndexByte(host, '.')+1:]
	if len(last) >= 2 && (last[:2] == "0x" || last[:2] == "0X") {
		return strings.Trim(last[2:], "0123456789abcdefABCDEF") == ""
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}

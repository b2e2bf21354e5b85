package pushendpoint

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// origin is a URL's scheme, host and port in one canonical form: lower-case
// scheme and host, IP literals in netip's form, and the port always explicit.
type origin struct {
	scheme string
	host   string // without brackets
	port   string // decimal, never empty
}

// parseOrigin extracts u's canonical origin; it fails on schemes other than
// http and https and on ports outside 1-65535.
func parseOrigin(u *url.URL) (origin, error) {
	scheme := strings.ToLower(u.Scheme)
	def := defaultPort(scheme)
	if def == "" {
		return origin{}, fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	host := normalizeHost(u.Hostname())
	if host == "" {
		return origin{}, errors.New("host is missing")
	}
	port := def
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return origin{}, fmt.Errorf("port %q is out of range", p)
		}
		port = strconv.Itoa(n)
	}
	return origin{scheme: scheme, host: host, port: port}, nil
}

// key is the form used to look origins up: scheme://host:port.
func (o origin) key() string { return o.scheme + "://" + o.hostPort() }

// hostPort is the address a dialer sees for this origin.
func (o origin) hostPort() string { return net.JoinHostPort(o.host, o.port) }

// String serializes the origin as RFC 6454 does, without a default port.
func (o origin) String() string {
	host := o.host
	if strings.Contains(host, ":") {
		// A zone's "%" is "%25" in a URL (RFC 6874): [fe80::1%25eth0].
		host = "[" + strings.Replace(host, "%", "%25", 1) + "]"
	}
	if o.port == defaultPort(o.scheme) {
		return o.scheme + "://" + host
	}
	return o.scheme + "://" + host + ":" + o.port
}

// Origin returns u's origin as scheme://host[:port], with the port omitted
// when it is the scheme's default: exactly the "aud" claim RFC 8292 wants in
// a VAPID token for a push to u. It returns "" when u is not http or https.
func Origin(u *url.URL) string {
	if u == nil {
		return ""
	}
	o, err := parseOrigin(u)
	if err != nil {
		return ""
	}
	return o.String()
}

func defaultPort(scheme string) string {
	switch scheme {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// normalizeHost lower-cases a host name and rewrites IP literals in one
// spelling, so [0:0::1] and [::1] compare equal.
func normalizeHost(host string) string {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.String()
	}
	if !utf8.ValidString(host) {
		// ToLower would turn each stray byte into a 3-byte U+FFFD: another
		// host, and a URL that may outgrow the length limit. Kept as it is
		// for the checks to refuse.
		return host
	}
	return strings.ToLower(host)
}

// normalizeDialAddr canonicalizes a host:port as http.Transport passes it to
// a dialer, in the same spelling origin.key uses after the scheme.
func normalizeDialAddr(addr string) (string, bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", false
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "", false
	}
	return net.JoinHostPort(normalizeHost(host), strconv.Itoa(n)), true
}

// Canonical returns endpoint in the one spelling Herald stores and compares:
// scheme and host lower-cased, an IP literal in one form, the scheme's
// default port dropped (https://FCM.GOOGLEAPIS.COM:0443/x and
// https://fcm.googleapis.com/x are one push URL). Path and query are kept
// byte for byte: push services' tokens in them are case-sensitive. What is
// not an absolute http(s) URL with a plain authority comes back as it is,
// for Check to refuse.
func Canonical(endpoint string) string {
	i := strings.Index(endpoint, "://")
	if i <= 0 {
		return endpoint
	}
	rest := endpoint[i+len("://"):]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if strings.Contains(rest[:end], "@") {
		return endpoint
	}
	u, err := url.Parse(endpoint[:i+len("://")+end])
	if err != nil {
		return endpoint
	}
	o, err := parseOrigin(u)
	if err != nil {
		return endpoint
	}
	return o.String() + rest[end:]
}

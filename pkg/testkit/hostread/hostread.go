// Package hostread is the test oracle of Herald's SSRF guard: the
// addresses a URL's host may be read as by the programs that resolve it
// or that follow a link to it. Each reading is written from its own
// specification (getaddrinfo's inet_aton forms, the trailing dot of a
// fully qualified name, RFC 6761's localhost names), not from the guard's
// code, so a fuzz test can hold the guard to it.
package hostread

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Internal reports why host (a URL's Hostname, without brackets), read any
// of those ways, names this machine or a private or link-local network
// ("" when no reading does).
func Internal(host string) string {
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return "a localhost name"
	}
	for _, ip := range readings(name) {
		ip = ip.Unmap()
		switch {
		case ip.IsLoopback():
			return "loopback " + ip.String()
		case ip.IsPrivate():
			return "private " + ip.String()
		case ip.IsLinkLocalUnicast():
			return "link-local " + ip.String()
		case ip.IsUnspecified() || ip.Is4() && ip.As4()[0] == 0:
			return "unspecified " + ip.String() // 0.0.0.0 connects to this host
		}
	}
	return ""
}

// Garbled reports whether host, not an IP address, is not UTF-8 or holds
// a forbidden host code point of the WHATWG URL standard (or a control
// character): a name no resolver takes and a browser refuses.
func Garbled(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil {
		return false
	}
	return !utf8.ValidString(host) || strings.ContainsFunc(host, func(r rune) bool {
		return r <= ' ' || r == 0x7f || strings.ContainsRune("#%/:<>?@[\\]^|", r)
	})
}

// readings are the IP addresses name may be read as.
func readings(name string) []netip.Addr {
	var out []netip.Addr
	if ip, err := netip.ParseAddr(name); err == nil {
		out = append(out, ip.WithZone(""))
	}
	if ip, ok := inetAton(name); ok {
		out = append(out, ip)
	}
	return out
}

// inetAton reads an IPv4 address the way inet_aton(3) does, which
// getaddrinfo uses for numeric hosts: one to four parts, each decimal,
// octal (leading 0) or hexadecimal (0x); the last part fills the bytes the
// others leave (127.1 is 127.0.0.1, 2130706433 and 0x7f000001 are too).
func inetAton(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	values := make([]uint64, len(parts))
	for i, p := range parts {
		base, digits := 10, p
		switch {
		case len(p) > 1 && (p[:2] == "0x" || p[:2] == "0X"):
			base, digits = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, digits = 8, p[1:]
		}
		if digits == "" && base != 16 || strings.ContainsAny(digits, "+-_") {
			return netip.Addr{}, false
		}
		if digits == "" { // "0x" alone is 0 to inet_aton
			digits = "0"
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		values[i] = v
	}
	var addr uint64
	for i, v := range values[:len(values)-1] {
		if v > 255 {
			return netip.Addr{}, false
		}
		addr |= v << (8 * (3 - i))
	}
	last := values[len(values)-1]
	if last >= 1<<(8*(5-len(values))) {
		return netip.Addr{}, false
	}
	addr |= last
	return netip.AddrFrom4([4]byte{byte(addr >> 24), byte(addr >> 16), byte(addr >> 8), byte(addr)}), true
}

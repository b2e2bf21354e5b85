package pushendpoint

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// ErrForbiddenAddress is wrapped by dial errors for connections refused
// because the resolved address is internal to the host or its network.
var ErrForbiddenAddress = errors.New("pushendpoint: refusing to connect to a loopback, private or link-local address")

// DialContext returns a dial function for the workers' http.Transport. An
// address that belongs to an extra origin is dialed with d as is. Any other
// address is dialed through a copy of d that checks every IP the resolver
// returns, just before connecting, and refuses internal ones; checking there
// rather than at subscribe time defeats DNS names that point, or are later
// re-pointed, at internal addresses. A nil d means a zero net.Dialer.
//
// A proxy configured on the transport is dialed through the same guard.
func (p *Policy) DialContext(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if d == nil {
		d = &net.Dialer{}
	}
	guarded := *d
	inner, innerCtx := d.Control, d.ControlContext
	// ControlContext is used because net.Dialer ignores Control when it is set.
	guarded.Control = nil
	guarded.ControlContext = func(ctx context.Context, network, address string, c syscall.RawConn) error {
		if err := checkDialAddress(address); err != nil {
			return err
		}
		switch {
		case innerCtx != nil:
			return innerCtx(ctx, network, address, c)
		case inner != nil:
			return inner(network, address, c)
		}
		return nil
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		switch network {
		case "tcp", "tcp4", "tcp6":
		default:
			return nil, fmt.Errorf("dial %s %s: only tcp is allowed: %w", network, addr, ErrForbiddenAddress)
		}
		if key, ok := normalizeDialAddr(addr); ok && p != nil && p.dialAddrs[key] {
			return d.DialContext(ctx, network, addr)
		}
		return guarded.DialContext(ctx, network, addr)
	}
}

// checkDialAddress vets the ip:port the dialer is about to connect to.
func checkDialAddress(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: unparsable address: %w", address, ErrForbiddenAddress)
	}
	if kind := forbiddenAddrKind(ap.Addr()); kind != "" {
		return fmt.Errorf("dial %s: %s address: %w", address, kind, ErrForbiddenAddress)
	}
	return nil
}

// forbiddenAddrKind names why ip must not be dialed, or returns "" if it may.
// IPv4-mapped and NAT64 addresses are judged by the IPv4 address inside,
// and an IPv6 zone is dropped first: netip's IsUnspecified is false for
// ::%0, which dials this host as :: does.
func forbiddenAddrKind(ip netip.Addr) string {
	ip = ip.WithZone("").Unmap()
	if isNAT64WellKnown(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte(b[12:]))
	}
	switch {
	case !ip.IsValid():
		return "invalid"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate() || isSiteLocalV6(ip):
		return "private"
	case ip.IsLinkLocalUnicast():
		return "link-local"
	case ip.IsUnspecified() || ip.Is4() && ip.As4()[0] == 0: // 0.0.0.0/8, "this network"
		return "unspecified"
	case ip.IsMulticast():
		return "multicast"
	case isCGNAT(ip):
		return "carrier-grade NAT"
	case ip.Is4() && ip.As4()[0] >= 240: // 240.0.0.0/4 reserved, incl. broadcast
		return "reserved"
	}
	return ""
}

// isCGNAT matches 100.64.0.0/10 (RFC 6598), shared carrier and cloud space.
func isCGNAT(ip netip.Addr) bool {
	if !ip.Is4() {
		return false
	}
	b := ip.As4()
	return b[0] == 100 && b[1]&0xc0 == 64
}

// isSiteLocalV6 matches fec0::/10 (RFC 3879): deprecated, yet some stacks route it.
func isSiteLocalV6(ip netip.Addr) bool {
	b := ip.As16()
	return ip.Is6() && b[0] == 0xfe && b[1]&0xc0 == 0xc0
}

// isNAT64WellKnown matches 64:ff9b::/96 (RFC 6052), which embeds an IPv4 address.
func isNAT64WellKnown(ip netip.Addr) bool {
	b := ip.As16()
	return ip.Is6() && [12]byte(b[:12]) == [12]byte{0, 0x64, 0xff, 0x9b}
}

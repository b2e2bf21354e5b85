package pushendpoint

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// loopbackListener accepts and closes connections until the test ends.
func loopbackListener(t *testing.T, network, address string) net.Listener {
	t.Helper()
	ln, err := net.Listen(network, address)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", address, err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln
}

func TestDialContextRefusesUnlistedLoopback(t *testing.T) {
	ln := loopbackListener(t, "tcp", "127.0.0.1:0")
	p, err := NewPolicy([]string{"http://127.0.0.1:1"}) // same host, other port
	if err != nil {
		t.Fatal(err)
	}
	dial := p.DialContext(&net.Dialer{Timeout: 2 * time.Second})
	ctx := context.Background()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	for _, addr := range []string{ln.Addr().String(), "localhost:" + port} {
		conn, err := dial(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
			t.Fatalf("dial %s: connected, want ErrForbiddenAddress", addr)
		}
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Fatalf("dial %s: %v, want ErrForbiddenAddress", addr, err)
		}
	}
}

func TestDialContextAllowsListedOrigin(t *testing.T) {
	ln := loopbackListener(t, "tcp", "127.0.0.1:0")
	p, err := NewPolicy([]string{"http://" + ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := p.DialContext(&net.Dialer{Timeout: 2 * time.Second})(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial listed origin: %v", err)
	}
	conn.Close()
}

func TestDialContextRefusesIPv6Loopback(t *testing.T) {
	ln := loopbackListener(t, "tcp6", "[::1]:0")
	p, _ := NewPolicy(nil)
	conn, err := p.DialContext(nil)(context.Background(), "tcp", ln.Addr().String())
	if err == nil {
		conn.Close()
		t.Fatal("dial [::1]: connected, want ErrForbiddenAddress")
	}
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("dial [::1]: %v, want ErrForbiddenAddress", err)
	}
}

func TestDialContextKeepsCallerControl(t *testing.T) {
	ln := loopbackListener(t, "tcp", "127.0.0.1:0")
	p, _ := NewPolicy(nil)
	called := false
	d := &net.Dialer{Control: func(string, string, syscall.RawConn) error { called = true; return nil }}
	if _, err := p.DialContext(d)(context.Background(), "tcp", ln.Addr().String()); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("got %v, want ErrForbiddenAddress", err)
	}
	if called {
		t.Error("caller's Control ran before the guard refused the address")
	}
	if d.ControlContext != nil {
		t.Error("DialContext modified the caller's dialer")
	}
}

func TestDialContextRefusesNonTCP(t *testing.T) {
	p, _ := NewPolicy(nil)
	if _, err := p.DialContext(nil)(context.Background(), "unix", "herald.sock"); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("got %v, want ErrForbiddenAddress", err)
	}
}

func TestForbiddenAddrKind(t *testing.T) {
	tests := map[string]string{
		"127.0.0.1":        "loopback",
		"127.1.2.3":        "loopback",
		"::1":              "loopback",
		"::ffff:127.0.0.1": "loopback",
		"64:ff9b::7f00:1":  "loopback",
		"10.0.0.1":         "private",
		"172.16.0.1":       "private",
		"172.31.255.255":   "private",
		"192.168.1.1":      "private",
		"fd00::1":          "private",
		"fc00::1":          "private",
		"fec0::1":          "private",
		"::ffff:10.0.0.1":  "private",
		"169.254.169.254":  "link-local",
		"fe80::1":          "link-local",
		"0.0.0.0":          "unspecified",
		"0.1.2.3":          "unspecified",
		"::":               "unspecified",
		"::%0":             "unspecified", // a zone changes nothing: [::%0] is this host too
		"::1%eth0":         "loopback",
		"224.0.0.1":        "multicast",
		"ff02::1":          "multicast",
		"100.64.0.1":       "carrier-grade NAT",
		"100.127.255.255":  "carrier-grade NAT",
		"255.255.255.255":  "reserved",
		"8.8.8.8":          "",
		"172.32.0.1":       "",
		"100.128.0.1":      "",
		"142.250.74.106":   "",
		"2607:f8b0::200e":  "",
		"::ffff:8.8.8.8":   "",
		"64:ff9b::808:808": "",
	}
	for raw, want := range tests {
		if got := forbiddenAddrKind(netip.MustParseAddr(raw)); got != want {
			t.Errorf("forbiddenAddrKind(%s) = %q, want %q", raw, got, want)
		}
	}
}

func TestCheckDialAddress(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:443", "[::1]:443", "[::ffff:169.254.169.254]:80", "garbage"} {
		if err := checkDialAddress(addr); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("checkDialAddress(%s) = %v, want ErrForbiddenAddress", addr, err)
		}
	}
	if err := checkDialAddress(net.JoinHostPort("142.250.74.106", strconv.Itoa(443))); err != nil {
		t.Errorf("public address refused: %v", err)
	}
}

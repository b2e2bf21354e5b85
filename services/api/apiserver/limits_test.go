package apiserver

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/envconf"
	"github.com/heraldpush/herald/pkg/publiclimit"
)

func TestLimitsConfig(t *testing.T) {
	t.Parallel()
	r := envconf.FromMap(map[string]string{
		"HERALD_RATE_LIMIT_SUBSCRIBE": "2/m,5", "HERALD_RATE_LIMIT_EVENTS_APP": "off",
		"HERALD_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1",
	})
	rules, proxies := readLimits(r), readTrustedProxies(r)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if got := rules[publiclimit.Subscribe].PerAddress; got != (publiclimit.Rule{Rate: 2, Period: time.Minute, Burst: 5}) {
		t.Fatalf("subscribe per address %v", got)
	}
	if !rules[publiclimit.Events].PerApp.Off() || rules[publiclimit.Events].PerAddress.Off() {
		t.Fatalf("events %v", rules[publiclimit.Events])
	}
	if rules[publiclimit.VAPIDKey] != publiclimit.Defaults()[publiclimit.VAPIDKey] {
		t.Fatal("an unset route lost its defaults")
	}
	if len(proxies) != 2 {
		t.Fatalf("proxies %v", proxies)
	}

	r = envconf.FromMap(map[string]string{"HERALD_RATE_LIMIT_REPLACE": "lots", "HERALD_TRUSTED_PROXIES": "proxy.internal"})
	readLimits(r)
	readTrustedProxies(r)
	err := r.Err()
	if err == nil || !strings.Contains(err.Error(), "HERALD_RATE_LIMIT_REPLACE") || !strings.Contains(err.Error(), "HERALD_TRUSTED_PROXIES") {
		t.Fatalf("bad values not both reported: %v", err)
	}
}

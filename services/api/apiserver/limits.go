package apiserver

import (
	"net/netip"
	"strings"

	"github.com/heraldpush/herald/pkg/envconf"
	"github.com/heraldpush/herald/pkg/publiclimit"
)

// readLimits reads the public routes' limits: HERALD_RATE_LIMIT_<ROUTE>
// per client address and HERALD_RATE_LIMIT_<ROUTE>_APP per app, each
// "RATE/UNIT,BURST" or off (publiclimit.ParseRule), for the routes
// SUBSCRIBE, REPLACE, EVENTS and VAPID_KEY.
func readLimits(r *envconf.Reader) map[publiclimit.Route]publiclimit.Rules {
	rules := publiclimit.Defaults()
	for _, route := range publiclimit.Routes {
		name := "HERALD_RATE_LIMIT_" + strings.ToUpper(string(route))
		current := rules[route]
		current.PerAddress = readRule(r, name, current.PerAddress)
		current.PerApp = readRule(r, name+"_APP", current.PerApp)
		rules[route] = current
	}
	return rules
}

func readRule(r *envconf.Reader, name string, def publiclimit.Rule) publiclimit.Rule {
	v := r.String(name, "")
	if v == "" {
		return def
	}
	rule, err := publiclimit.ParseRule(v)
	if err != nil {
		r.Fail(name, "%v", err)
		return def
	}
	return rule
}

// readTrustedProxies reads HERALD_TRUSTED_PROXIES: the addresses or CIDRs
// of the proxies in front of the API, whose X-Forwarded-For names the
// client. Without it every request's client is its TCP peer.
func readTrustedProxies(r *envconf.Reader) []string {
	list := r.List("HERALD_TRUSTED_PROXIES")
	for _, item := range list {
		_, errPrefix := netip.ParsePrefix(item)
		_, errAddr := netip.ParseAddr(item)
		if errPrefix != nil && errAddr != nil {
			r.Fail("HERALD_TRUSTED_PROXIES", "%q is not an IP address or CIDR (like 10.0.0.0/8)", item)
		}
	}
	return list
}

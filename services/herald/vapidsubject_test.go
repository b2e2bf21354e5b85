package main

import (
	"strings"
	"testing"
	"time"
)

// An app may carry its own VAPID subject: one Apple's push service would
// refuse (403 BadJwtToken on every Safari push) is refused when the app is
// created or changed, naming vapid_subject; a good one is the sub claim of
// that app's pushes, while another app's keep HERALD_VAPID_SUBJECT.
func TestAppVAPIDSubject(t *testing.T) {
	t.Parallel()
	p := startPipeline(t)
	for _, bad := range []string{"mailto:dev@herald.invalid", "mailto:ops@localhost", "https://10.0.0.1/contact", "ops@shop.example.com", "mailto:a b@shop.com"} {
		got := p.call("POST", "/v1/apps", testAdminToken, map[string]any{"name": "bad", "vapid_subject": bad}, 422)
		e := got["error"].(map[string]any)
		if e["code"] != "invalid_vapid_subject" || !strings.Contains(e["message"].(string), "vapid_subject") {
			t.Errorf("vapid_subject %q: %v, want invalid_vapid_subject naming the field", bad, e)
		}
	}
	const own = "mailto:push@shop-herald.com"
	created := p.useApp(map[string]any{"name": "own", "vapid_subject": own})
	appID := created["id"].(string)
	if got := p.call("GET", "/v1/apps/"+appID, testAdminToken, nil, 200); got["vapid_subject"] != own {
		t.Fatalf("GET app: %v", got)
	}
	p.call("PATCH", "/v1/apps/"+appID, testAdminToken, map[string]any{"vapid_subject": "https://shop.test/contact"}, 422)

	sub := func() string {
		subs := p.subscribe(1, "ok")
		simID := subs[0].ID[:strings.Index(subs[0].ID, "|")]
		p.waitCompleted(p.broadcast("hi"), time.Minute)
		ds := p.sim.Deliveries(simID)
		if len(ds) != 1 {
			t.Fatalf("%d deliveries, want 1", len(ds))
		}
		return ds[0].Claims.Sub
	}
	if got := sub(); got != own {
		t.Fatalf("the app's push was signed with sub %q, want its vapid_subject %q", got, own)
	}
	p.useApp(map[string]any{"name": "fleet"})
	if got := sub(); got != "mailto:ops@example.com" {
		t.Fatalf("an app without vapid_subject signed with %q, want HERALD_VAPID_SUBJECT", got)
	}
}

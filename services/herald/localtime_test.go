package main

import (
	"strings"
	"testing"
	"time"
)

// send_at_local through the API, on the real clock: a zone whose wall time
// has passed today (Pacific/Kiritimati, UTC+14) is sent at once while a
// zone still ahead (Pacific/Pago_Pago, UTC-11) waits for its own fan-out;
// the notification shows both zones and is sending, not completed. With
// skip_if_past the passed zone is skipped and the notification stays
// scheduled. Malformed times are refused saying what to send.
func TestSendAtLocalThroughTheAPI(t *testing.T) {
	t.Parallel()
	p := startPipeline(t)
	ahead, _ := p.subscribeWith(map[string]any{"timezone": "Pacific/Kiritimati"})
	behind, _ := p.subscribeWith(map[string]any{"timezone": "Pacific/Pago_Pago"})
	// Kiritimati's clock is 25 hours ahead of Pago Pago's: a wall time an
	// hour past in Kiritimati is 24 hours ahead in Pago Pago.
	kiritimati, _ := time.LoadLocation("Pacific/Kiritimati")
	wall := time.Now().In(kiritimati).Add(-time.Hour).Format("2006-01-02T15:04")

	body := func(skip bool) map[string]any {
		return map[string]any{"target": map[string]any{"all": true}, "notification": map[string]any{"title": "morning"},
			"send_at_local": wall, "skip_if_past": skip}
	}
	created := p.call("POST", "/v1/notifications", p.apiKey, body(false), 202)
	if created["status"] != "scheduled" {
		t.Fatalf("accepted: %v", created)
	}
	id := created["id"].(string)
	var n map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for {
		n = p.call("GET", "/v1/notifications/"+id, p.apiKey, nil, 200)
		if n["counts"].(map[string]any)["delivered"] == float64(1) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the zone already past got nothing: %v", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(p.sim.Deliveries(ahead)) != 1 {
		t.Fatalf("the zone already past got %d messages", len(p.sim.Deliveries(ahead)))
	}
	zones, _ := n["zones"].([]any)
	if n["status"] != "sending" || len(zones) != 2 || n["send_at_local"] != wall+":00" || counts(n) != "targeted=1 delivered=1 gone=0 dead=0 pending=0" {
		t.Fatalf("after the first zone: %v %s zones %v", n["status"], counts(n), n["zones"])
	}
	if z := zones[1].(map[string]any); z["status"] != "waiting" || z["timezones"].([]any)[0] != "Pacific/Pago_Pago" {
		t.Fatalf("second zone %v", z)
	}
	if at, _ := time.Parse(time.RFC3339, zones[1].(map[string]any)["at"].(string)); time.Until(at) < 23*time.Hour {
		t.Fatalf("Pago Pago's zone is due at %s", at)
	}
	if len(p.sim.Deliveries(behind)) != 0 {
		t.Fatal("the zone still ahead was sent")
	}

	skipped := p.call("POST", "/v1/notifications", p.apiKey, body(true), 202)["id"].(string)
	deadline = time.Now().Add(30 * time.Second)
	for {
		n = p.call("GET", "/v1/notifications/"+skipped, p.apiKey, nil, 200)
		if n["zones"] != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n["status"] != "scheduled" || len(n["zones"].([]any)) != 1 || n["skipped_timezones"].([]any)[0] != "Pacific/Kiritimati" ||
		n["counts"].(map[string]any)["targeted"] != float64(0) {
		t.Fatalf("skip_if_past: %v %s zones %v skipped %v", n["status"], counts(n), n["zones"], n["skipped_timezones"])
	}
	if len(p.sim.Deliveries(ahead)) != 1 {
		t.Fatal("skip_if_past sent to the zone already past")
	}
	if got := p.call("DELETE", "/v1/notifications/"+skipped, p.apiKey, nil, 200); got["status"] != "cancelled" {
		t.Fatalf("cancel: %v", got)
	}

	for _, bad := range []map[string]any{
		{"send_at_local": "2026-12-24 09:00"},
		{"send_at_local": "2026-12-24T09:00Z"},
		{"send_at_local": "2026-12-24T09:00", "send_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)},
		{"skip_if_past": true},
	} {
		req := map[string]any{"target": map[string]any{"all": true}, "notification": map[string]any{"title": "x"}}
		for k, v := range bad {
			req[k] = v
		}
		e := p.call("POST", "/v1/notifications", p.apiKey, req, 422)["error"].(map[string]any)
		if e["code"] != "invalid_send_at_local" || !strings.Contains(e["message"].(string), "send_at") {
			t.Errorf("%v: %v", bad, e)
		}
	}
}

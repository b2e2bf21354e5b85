package httpapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/vapid"
)

func ndjson(t *testing.T, lines ...any) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, l := range lines {
		if raw, ok := l.(string); ok {
			b.WriteString(raw)
		} else {
			data, err := json.Marshal(l)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(data)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// with is m with k set to v.
func with(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for key, val := range m {
		out[key] = val
	}
	out[k] = v
	return out
}

func (h *harness) importLines(apiKey string, body []byte, headers ...string) response {
	h.t.Helper()
	return h.do("POST", "/v1/subscriptions/import", body, append([]string{"Authorization", "Bearer " + apiKey, "Content-Type", "application/x-ndjson"}, headers...)...)
}

func refusedLines(t *testing.T, r response) map[float64]string {
	t.Helper()
	out := map[float64]string{}
	for _, x := range r.body["refused"].([]any) {
		m := x.(map[string]any)
		out[m["line"].(float64)] = m["code"].(string)
		if m["message"] == "" {
			t.Errorf("refusal without a message: %v", m)
		}
	}
	return out
}

func TestImportValidatesEachLineAndStoresTheRest(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, h *harness) {
		a := h.createApp()
		sub := func(n int) map[string]any { return browserSubscription(t, fmt.Sprintf("%s/push/%d", listedOrigin, n)) }
		dup := sub(3)
		body := ndjson(t,
			sub(1), // web-push dump row: endpoint and keys
			merge(merge(sub(2), "user_id", "u2"), "topics", []string{"news", "sport"}),
			map[string]any{"subscription": dup, "user_id": "u3", "timezone": "Europe/Paris"}, // the single route's body
			"", // blank: skipped, still counted
			`{"endpoint": "https://evil.example/x", "keys": {"p256dh": "AAAA", "auth": "AAAA"}}`,     // line 5: endpoint not allowed
			merge(sub(6), "topic", []string{"x"}),                                                    // line 6: unknown field
			`{"endpoint": `,                                                                          // line 7: malformed
			with(sub(8), "keys", map[string]any{"p256dh": "AAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}), // line 8: bad key
			merge(sub(9), "status", "gone"),                                                          // line 9: only active ones
			merge(sub(10), "vapid_public_key", b64(make([]byte, 65))),                                // line 10: not the app's key
			merge(dup, "user_id", "u3b"),                                                             // line 11: same endpoint again: an update
			merge(sub(12), "timezone", "Mars/Olympus"),                                               // line 12: validated as the single route does
		)
		r := h.importLines(a.APIKey, body)
		if r.status != 200 || r.body["created"] != float64(3) || r.body["updated"] != float64(1) ||
			r.body["refused_count"] != float64(7) || r.body["lines"] != float64(12) {
			t.Fatalf("import: %d %s", r.status, r.raw)
		}
		want := map[float64]string{5: "endpoint_not_allowed", 6: "unknown_field", 7: "invalid_json", 8: "invalid_p256dh",
			9: "status_not_active", 10: "unknown_vapid_key", 12: "invalid_timezone"}
		got := refusedLines(t, r)
		for line, code := range want {
			if got[line] != code {
				t.Errorf("line %v: refused with %q, want %q (%s)", line, got[line], code, r.raw)
			}
		}
		if len(got) != len(want) {
			t.Errorf("refused %v, want %v", got, want)
		}
		if !strings.Contains(r.raw2(), `did you mean \"topics\"`) {
			t.Errorf("unknown field message names no near miss: %s", r.raw)
		}
		// Refused lines stored nothing; the others are there with their fields.
		if n := h.countSubscriptions(); n != 3 {
			t.Fatalf("%d subscriptions stored, want 3", n)
		}
		list := h.do("GET", "/v1/subscriptions?topic=sport", nil, "Authorization", "Bearer "+a.APIKey)
		if items := list.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["user_id"] != "u2" {
			t.Fatalf("by topic: %s", list.raw)
		}
		list = h.do("GET", "/v1/subscriptions?user_id=u3b", nil, "Authorization", "Bearer "+a.APIKey)
		if items := list.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["timezone"] != "" {
			t.Fatalf("the later line wins: %s", list.raw)
		}

		// Importing the same lines again updates them, and gzip is taken.
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(ndjson(t, sub(1), sub(20)))
		zw.Close()
		if r := h.importLines(a.APIKey, gz.Bytes(), "Content-Encoding", "gzip"); r.status != 200 || r.body["created"] != float64(1) || r.body["updated"] != float64(1) {
			t.Fatalf("gzip import: %d %s", r.status, r.raw)
		}
		if n := h.countSubscriptions(); n != 4 {
			t.Fatalf("%d subscriptions after the second import, want 4", n)
		}
	})
}

func TestExportImportsAsItIs(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, h *harness) {
		a := h.createApp()
		var lines []any
		for i := range 25 {
			l := browserSubscription(t, fmt.Sprintf("%s/push/e%d", listedOrigin, i))
			if i%2 == 0 {
				l = merge(merge(l, "user_id", fmt.Sprintf("u%d", i)), "topics", []string{"even"})
			}
			lines = append(lines, l)
		}
		if r := h.importLines(a.APIKey, ndjson(t, lines...)); r.body["created"] != float64(25) {
			t.Fatalf("import: %s", r.raw)
		}
		r := h.do("GET", "/v1/subscriptions/export", nil, "Authorization", "Bearer "+a.APIKey)
		if r.status != 200 || r.header.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("export: %d %s", r.status, r.raw)
		}
		exported := bytes.Split(bytes.TrimSpace(r.raw), []byte("\n"))
		if len(exported) != 25 {
			t.Fatalf("exported %d lines, want 25", len(exported))
		}
		users := 0
		for _, line := range exported {
			var l map[string]any
			json.Unmarshal(line, &l)
			if l["vapid_public_key"] != a.VAPIDPublicKey || l["status"] != "active" || l["id"] == nil {
				t.Fatalf("exported line: %s", line)
			}
			if l["endpoint"] == listedOrigin+"/push/e0" && (l["user_id"] != "u0" || fmt.Sprint(l["topics"]) != "[even]") {
				t.Fatalf("line of e0: %s", line)
			}
			if l["user_id"] != nil {
				users++
			}
		}
		if users != 13 {
			t.Fatalf("%d exported lines have a user, want 13", users)
		}
		// Into a second app the export imports as it is, topics and users with it.
		b := h.createApp()
		h.admin("POST", "/v1/apps/"+b.ID+"/vapid-keys", nil)
		r = h.importLines(b.APIKey, r.raw)
		if r.status != 422 || r.code() != "nothing_imported" || !strings.Contains(r.raw2(), "(25)") || !strings.Contains(r.raw2(), "line 1: unknown_vapid_key") {
			t.Fatalf("another app's keys: %s", r.raw)
		}
		kp, _ := vapid.Generate()
		c := h.admin("POST", "/v1/apps", map[string]any{"name": "moved", "vapid_public_key": kp.PublicKey(), "vapid_private_key": kp.PrivateKey()})
		stripped := bytes.ReplaceAll(bytes.Join(exported, []byte("\n")), []byte(a.VAPIDPublicKey), []byte(kp.PublicKey()))
		if r := h.importLines(c.body["api_key"].(string), stripped); r.body["created"] != float64(25) || r.body["refused_count"] != float64(0) {
			t.Fatalf("import of the export: %s", r.raw)
		}
		list := h.do("GET", "/v1/subscriptions?topic=even&limit=5", nil, "Authorization", "Bearer "+c.body["api_key"].(string))
		if items := list.body["items"].([]any); len(items) != 5 || list.body["next_after"] == nil {
			t.Fatalf("moved topics: %s", list.raw)
		}
	})
}

func TestSubscriptionListingPagesAndFilters(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, h *harness) {
		a := h.createApp()
		auth := []string{"Authorization", "Bearer " + a.APIKey}
		var ids []string
		for i := range 7 {
			body := map[string]any{"subscription": browserSubscription(t, fmt.Sprintf("%s/push/l%d", listedOrigin, i)), "user_id": fmt.Sprintf("u%d", i%2)}
			ids = append(ids, h.do("POST", "/v1/subscriptions", body, auth...).body["id"].(string))
		}
		h.do("DELETE", "/v1/subscriptions/"+ids[2], nil, auth...)
		var seen []string
		after := ""
		for pages := 0; pages < 10; pages++ {
			r := h.do("GET", "/v1/subscriptions?limit=3&after="+after, nil, auth...)
			for _, it := range r.body["items"].([]any) {
				seen = append(seen, it.(map[string]any)["id"].(string))
			}
			if r.body["next_after"] == nil {
				break
			}
			after = r.body["next_after"].(string)
		}
		if strings.Join(seen, ",") != strings.Join(ids, ",") {
			t.Fatalf("pages gave %v, want %v", seen, ids)
		}
		r := h.do("GET", "/v1/subscriptions?status=unsubscribed", nil, auth...)
		if items := r.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != ids[2] {
			t.Fatalf("by status: %s", r.raw)
		}
		r = h.do("GET", "/v1/subscriptions?user_id=u0&status=active", nil, auth...)
		if items := r.body["items"].([]any); len(items) != 3 { // 0, 4, 6 (2 is unsubscribed)
			t.Fatalf("by user and status: %s", r.raw)
		}
		for q, code := range map[string]string{"status=dead": "invalid_status", "after=nope": "invalid_cursor", "limit=5000": "invalid_limit"} {
			if r := h.do("GET", "/v1/subscriptions?"+q, nil, auth...); r.status != http.StatusUnprocessableEntity || r.code() != code {
				t.Errorf("%s: %d %s", q, r.status, r.raw)
			}
		}
		// Another app sees none of them.
		b := h.createApp()
		if r := h.do("GET", "/v1/subscriptions", nil, "Authorization", "Bearer "+b.APIKey); len(r.body["items"].([]any)) != 0 {
			t.Fatalf("other app: %s", r.raw)
		}
	})
}

// An import line's attributes are validated as the single route's (a bad
// line refused, the others stored), replace a known subscription's (a line
// without keeps them, as POST /v1/subscriptions does), and the export
// writes them, so export -> import gives each subscription its attributes.
func TestImportAndExportCarryAttributes(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, h *harness) {
		a := h.createApp()
		sub := func(n int) map[string]any { return browserSubscription(t, fmt.Sprintf("%s/push/a%d", listedOrigin, n)) }
		subs := []map[string]any{sub(0), sub(1), sub(2), sub(3)}
		r := h.importLines(a.APIKey, ndjson(t,
			merge(subs[0], "attributes", map[string]string{"first_name": "Ada", "plan": "pro"}),
			merge(sub(9), "attributes", map[string]string{"first name": "x"}), // line 2: not a template variable
			map[string]any{"subscription": subs[1], "attributes": map[string]string{"first_name": "Bo"}},
			subs[2],
			merge(sub(8), "attributes", map[string]any{"n": 1}), // line 5: not a string
		))
		if r.status != 200 || r.body["created"] != float64(3) || r.body["refused_count"] != float64(2) {
			t.Fatalf("import: %d %s", r.status, r.raw)
		}
		if got := refusedLines(t, r); got[2] != "invalid_attributes" || got[5] != "invalid_json" {
			t.Fatalf("refused %v: %s", got, r.raw)
		}
		// Again: without attributes keeps them, with replaces them (whole).
		r = h.importLines(a.APIKey, ndjson(t, subs[0], merge(subs[1], "attributes", map[string]string{"plan": "free"}),
			merge(subs[2], "attributes", map[string]string{"city": "Oslo"}), merge(subs[3], "attributes", map[string]string{})))
		if r.status != 200 || r.body["created"] != float64(1) || r.body["updated"] != float64(3) {
			t.Fatalf("second import: %d %s", r.status, r.raw)
		}
		want := map[string]string{"a0": "map[first_name:Ada plan:pro]", "a1": "map[plan:free]", "a2": "map[city:Oslo]", "a3": "map[]"}
		exported := func(apiKey string) map[string]string {
			t.Helper()
			r := h.do("GET", "/v1/subscriptions/export", nil, "Authorization", "Bearer "+apiKey)
			out := map[string]string{}
			for _, line := range bytes.Split(bytes.TrimSpace(r.raw), []byte("\n")) {
				var l map[string]any
				if err := json.Unmarshal(line, &l); err != nil || l["attributes"] == nil {
					t.Fatalf("export line without attributes: %s", line)
				}
				out[strings.TrimPrefix(l["endpoint"].(string), listedOrigin+"/push/")] = fmt.Sprint(l["attributes"])
			}
			return out
		}
		if got := exported(a.APIKey); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("exported attributes %v, want %v", got, want)
		}
		// The export into another app (its own VAPID pair) round-trips them.
		kp, _ := vapid.Generate()
		c := h.admin("POST", "/v1/apps", map[string]any{"name": "moved", "vapid_public_key": kp.PublicKey(), "vapid_private_key": kp.PrivateKey()})
		dump := h.do("GET", "/v1/subscriptions/export", nil, "Authorization", "Bearer "+a.APIKey).raw
		moved := c.body["api_key"].(string)
		if r := h.importLines(moved, bytes.ReplaceAll(dump, []byte(a.VAPIDPublicKey), []byte(kp.PublicKey()))); r.body["created"] != float64(4) {
			t.Fatalf("import of the export: %s", r.raw)
		}
		if got := exported(moved); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("attributes after export -> import: %v, want %v", got, want)
		}
	})
}

// A body opening with a UTF-8 byte order mark, as some Windows tools save
// a file, imports its first line, gzipped (the mark inside) or not; a mark
// opening any other line, or a second one opening the body, is that
// line's, which is then no JSON.
func TestImportSkipsTheByteOrderMarkOpeningTheBody(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, h *harness) {
		a := h.createApp()
		sub := func(n int) map[string]any {
			return browserSubscription(t, fmt.Sprintf("%s/push/bom%d", listedOrigin, n))
		}
		const bom = "\xef\xbb\xbf"
		line := func(n int) string { return strings.TrimSuffix(string(ndjson(t, sub(n))), "\n") }
		for _, c := range []struct {
			name             string
			body             []byte
			headers          []string
			created, refused float64
			refusedLine2     bool
		}{
			{name: "plain", body: ndjson(t, bom+line(1), sub(2)), created: 2},
			{name: "gzip", body: gzipped(t, ndjson(t, bom+line(3), sub(4))), headers: []string{"Content-Encoding", "gzip"}, created: 2},
			{name: "on line 2", body: ndjson(t, sub(5), bom+line(6)), created: 1, refused: 1, refusedLine2: true},
		} {
			r := h.importLines(a.APIKey, c.body, c.headers...)
			if r.status != 200 || r.body["created"] != c.created || r.body["refused_count"] != c.refused {
				t.Fatalf("%s: %d %s", c.name, r.status, r.raw)
			}
			if got := refusedLines(t, r); c.refusedLine2 && got[2] != "invalid_json" {
				t.Fatalf("%s: refused %v, want line 2 invalid_json", c.name, got)
			}
		}
		r := h.importLines(a.APIKey, ndjson(t, bom+bom+line(7)))
		if r.status != 422 || r.code() != "nothing_imported" || !strings.Contains(r.raw2(), "line 1: invalid_json") {
			t.Fatalf("two marks opening the body: %d %s", r.status, r.raw)
		}
		if n := h.countSubscriptions(); n != 5 {
			t.Fatalf("%d subscriptions stored, want 5", n)
		}
	})
}

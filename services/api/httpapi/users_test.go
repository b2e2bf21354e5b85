package httpapi

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// A user's own attributes: replaced by PUT, merged by PATCH (a null
// removes a key), removed by DELETE and with the app, validated as a
// subscription's, each app's apart; concurrent patches of one user all land.
func TestUserAttributes(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, h *harness) {
		a := h.createApp()
		auth := []string{"Authorization", "Bearer " + a.APIKey}
		path := "/v1/users/" + url.PathEscape("ann@example.com") + "/attributes"
		attrsOf := func(r response) string {
			t.Helper()
			if r.status != 200 || r.body["user_id"] != "ann@example.com" {
				t.Fatalf("user attributes: %d %s", r.status, r.raw)
			}
			return fmt.Sprint(r.body["attributes"])
		}
		if r := h.do("GET", path, nil, auth...); attrsOf(r) != "map[]" || r.body["updated_at"] != nil {
			t.Fatalf("a user with none: %s", r.raw)
		}
		if got := attrsOf(h.do("PUT", path, map[string]any{"attributes": map[string]string{"first_name": "Ann", "plan": "free"}}, auth...)); got != "map[first_name:Ann plan:free]" {
			t.Fatalf("put: %s", got)
		}
		r := h.do("PATCH", path, []byte(`{"attributes": {"plan": "pro", "first_name": null, "city": "Oslo"}}`), auth...)
		if got := attrsOf(r); got != "map[city:Oslo plan:pro]" || r.body["updated_at"] == nil {
			t.Fatalf("patch: %s", r.raw)
		}
		if got := attrsOf(h.do("PUT", path, map[string]any{"attributes": map[string]string{"lang": "nb"}}, auth...)); got != "map[lang:nb]" {
			t.Fatalf("put replaces: %s", got)
		}
		if got := attrsOf(h.do("GET", path, nil, "Authorization", "Bearer "+h.createApp().APIKey)); got != "map[]" {
			t.Fatalf("another app sees them: %s", got)
		}
		for _, c := range []struct {
			method string
			body   any
			code   string
		}{
			{"PUT", map[string]any{"attributes": map[string]string{"first name": "x"}}, "invalid_attributes"},
			{"PUT", map[string]any{}, "invalid_attributes"},
			{"PUT", map[string]any{"attrs": map[string]string{}}, "unknown_field"},
			{"PATCH", map[string]any{"attributes": map[string]any{"long": strings.Repeat("x", 501)}}, "invalid_attributes"},
			{"PATCH", []byte(`{"attributes": ["x"]}`), "invalid_json"},
			{"PATCH", map[string]any{}, "invalid_attributes"},
		} {
			if r := h.do(c.method, path, c.body, auth...); r.code() != c.code {
				t.Errorf("%s %v: %d %s", c.method, c.body, r.status, r.raw)
			}
		}
		if r := h.do("GET", "/v1/users/"+strings.Repeat("u", 300)+"/attributes", nil, auth...); r.code() != "invalid_user_id" {
			t.Errorf("a user id too long: %d %s", r.status, r.raw)
		}
		if got := attrsOf(h.do("GET", path, nil, auth...)); got != "map[lang:nb]" {
			t.Fatalf("refused changes changed them: %s", got)
		}

		// Patches of one user at once, the first of them making its row.
		bo := "/v1/users/bo/attributes"
		var wg sync.WaitGroup
		for i := range 12 {
			wg.Go(func() {
				if r := h.do("PATCH", bo, map[string]any{"attributes": map[string]any{fmt.Sprintf("k%d", i): "v"}}, auth...); r.status != 200 {
					t.Errorf("concurrent patch: %d %s", r.status, r.raw)
				}
			})
		}
		wg.Wait()
		if got := h.do("GET", bo, nil, auth...).body["attributes"].(map[string]any); len(got) != 12 {
			t.Fatalf("after 12 concurrent patches of one key each: %v", got)
		}
		if r := h.do("PATCH", bo, []byte(`{"attributes": null}`), auth...); fmt.Sprint(r.body["attributes"]) != "map[]" || r.body["updated_at"] != nil {
			t.Fatalf("null removes them all: %s", r.raw)
		}

		if r := h.do("DELETE", path, nil, auth...); r.status != 204 {
			t.Fatalf("delete: %d %s", r.status, r.raw)
		}
		if r := h.do("GET", path, nil, auth...); attrsOf(r) != "map[]" || r.body["updated_at"] != nil {
			t.Fatalf("after delete: %s", r.raw)
		}
		if r := h.do("DELETE", path, nil, auth...); r.status != 204 {
			t.Fatalf("delete again: %d %s", r.status, r.raw)
		}
		h.do("PUT", path, map[string]any{"attributes": map[string]string{"lang": "nb"}}, auth...)
		if r := h.admin("DELETE", "/v1/apps/"+a.ID, nil); r.status != 200 {
			t.Fatalf("delete app: %d %s", r.status, r.raw)
		}
		var left int64
		if err := h.db.Table("user_attributes").Count(&left).Error; err != nil || left != 0 {
			t.Fatalf("%d user attributes left after the app was deleted (%v)", left, err)
		}
	})
}

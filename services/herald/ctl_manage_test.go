package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/pushsim"
)

// heraldctl's listings, import and export against a real Herald:
// subscriptions listed by user and topic a page at a time, exported to a
// file and imported back (each line updates its subscription; a bad line is
// refused by number, a new line from standard input is created), an import
// of nothing but bad lines refused, and the notification history.
func TestHeraldctlListsImportsAndExports(t *testing.T) {
	t.Parallel()
	p := startPipeline(t)
	admin := ctlRun{t, map[string]string{"HERALD_API_URL": p.apiURL, "HERALD_ADMIN_TOKEN": testAdminToken}}
	var created struct {
		ID       string `json:"id"`
		APIKey   string `json:"api_key"`
		VAPIDKey string `json:"vapid_public_key"`
	}
	decodeOut(t, admin.ok("apps", "create", "--name", "Lists", "--json"), &created)
	app := ctlRun{t, map[string]string{"HERALD_API_URL": p.apiURL, "HERALD_API_KEY": created.APIKey,
		"HERALD_APP_ID": created.ID, "HERALD_PUSHSIM_URL": p.sim.PublicOrigin()}}
	app.ok("subscriptions", "simulate", "--count", "3", "--topic", "news")
	app.ok("subscriptions", "simulate", "--user", "u9")

	var page struct {
		Items []struct {
			ID     string  `json:"id"`
			UserID *string `json:"user_id"`
		} `json:"items"`
		NextAfter *string `json:"next_after"`
	}
	decodeOut(t, app.ok("subscriptions", "list", "--json"), &page)
	if len(page.Items) != 4 || page.NextAfter != nil {
		t.Fatalf("subscriptions list: %+v", page)
	}
	decodeOut(t, app.ok("subscriptions", "list", "--user", "u9", "--json"), &page)
	if len(page.Items) != 1 || page.Items[0].UserID == nil || *page.Items[0].UserID != "u9" {
		t.Fatalf("subscriptions list --user u9: %+v", page)
	}
	if out := app.ok("subscriptions", "list", "--topic", "news", "--limit", "2"); strings.Count(out, "news") != 2 || !strings.Contains(out, "(more: --after ") {
		t.Fatalf("subscriptions list --topic news --limit 2:\n%s", out)
	}
	decodeOut(t, app.ok("subscriptions", "list", "--topic", "news", "--limit", "2", "--all", "--json"), &page)
	if len(page.Items) != 3 {
		t.Fatalf("subscriptions list --all: %d items", len(page.Items))
	}

	dump := filepath.Join(t.TempDir(), "subs.ndjson")
	if res := app.exits(0, "", "subscriptions", "export", "--file", dump); !strings.Contains(res.stderr, "exported 4 subscriptions") {
		t.Fatalf("export said %q", res.stderr)
	}
	exported, err := os.ReadFile(dump)
	if err != nil || strings.Count(string(exported), "\n") != 4 {
		t.Fatalf("export file (%v):\n%s", err, exported)
	}
	if err := os.WriteFile(dump, append(exported, `{"endpoint": "https://fcm.googleapis.com/fcm/send/x", "keys": {"p256dh": "short", "auth": "x"}}`+"\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Lines, Created, Updated int64
		RefusedCount            int64 `json:"refused_count"`
		Refused                 []struct {
			Line int64
			Code string
		}
	}
	decodeOut(t, app.ok("subscriptions", "import", "--file", dump, "--json"), &res)
	if res.Lines != 5 || res.Created != 0 || res.Updated != 4 || res.RefusedCount != 1 || res.Refused[0].Line != 5 || res.Refused[0].Code != "invalid_p256dh" {
		t.Fatalf("import of the export plus a bad line: %+v", res)
	}
	if out := app.ok("subscriptions", "import", "--file", dump); !strings.Contains(out, "line 5: invalid_p256dh: ") {
		t.Fatalf("import's text output lacks the refused line:\n%s", out)
	}
	fresh, err := p.sim.Mint(pushsim.Behavior{}, created.VAPIDKey)
	if err != nil {
		t.Fatal(err)
	}
	line, _ := json.Marshal(map[string]any{"endpoint": fresh.Endpoint, "keys": fresh.Keys, "user_id": "u10", "topics": []string{"deals"}})
	decodeOut(t, app.exits(0, string(line)+"\n", "subscriptions", "import", "--file", "-", "--json").stdout, &res)
	if res.Created != 1 || res.RefusedCount != 0 {
		t.Fatalf("import from standard input: %+v", res)
	}
	if r := app.exits(3, "{\"endpoint\": \n", "subscriptions", "import", "--file", "-"); !strings.Contains(r.stderr, "nothing_imported") {
		t.Fatalf("an import of only bad lines: %s", r.stderr)
	}
	app.exits(2, "", "subscriptions", "import")

	app.ok("send", "--title", "History", "--all", "--wait", "--interval", "100ms")
	var history struct {
		Items []struct {
			Status string `json:"status"`
			Counts struct {
				Targeted int `json:"targeted"`
			} `json:"counts"`
		} `json:"items"`
	}
	decodeOut(t, app.ok("notifications", "list", "--status", "completed", "--json"), &history)
	if len(history.Items) != 1 || history.Items[0].Counts.Targeted != 5 {
		t.Fatalf("notifications list: %+v", history)
	}
	if out := app.ok("notifications", "list"); !strings.Contains(out, "History") || !strings.Contains(out, "completed") {
		t.Fatalf("notifications list:\n%s", out)
	}
	app.exits(2, "", "notifications", "list", "--since", "yesterday")
}

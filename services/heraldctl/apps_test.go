package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/metrics"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
	"github.com/heraldpush/herald/services/api/httpapi"
)

// apps create talks to a real API and prints the credentials it returns.
func TestAppsCreateAgainstAPI(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	key, _, _ := masterkey.Generate()
	apps := app.NewStore(db, key)
	handler, err := httpapi.New(httpapi.Deps{
		Log: testkit.Logger(t), Apps: apps, Subscriptions: subscription.NewStore(db),
		AdminToken: "ctl-admin-token", Ready: db.Ping, Metrics: metrics.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(handler)
	defer ts.Close()
	env := map[string]string{"HERALD_API_URL": ts.URL, "HERALD_ADMIN_TOKEN": "ctl-admin-token"}
	getenv := func(k string) string { return env[k] }

	var out bytes.Buffer
	err = run(context.Background(), []string{"apps", "create", "--name", "Shop", "--origin", "https://shop.example"}, &out, getenv)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal(out.Bytes(), &created); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if created.Name != "Shop" || created.APIKey == "" {
		t.Fatalf("output %s", out.String())
	}
	if a, err := apps.Authenticate(context.Background(), created.APIKey); err != nil || a.ID != created.ID {
		t.Fatalf("printed API key does not authenticate: %v", err)
	}

	env["HERALD_ADMIN_TOKEN"] = "wrong"
	err = run(context.Background(), []string{"apps", "create", "--name", "x"}, &out, getenv)
	if err == nil || !strings.Contains(err.Error(), "unauthorized") {
		t.Fatalf("wrong token: err = %v", err)
	}
	if err := run(context.Background(), []string{"apps", "create"}, &out, getenv); err == nil {
		t.Fatal("missing --name accepted")
	}
	if err := run(context.Background(), []string{"nope", "x"}, &out, getenv); err == nil {
		t.Fatal("unknown command accepted")
	}
}

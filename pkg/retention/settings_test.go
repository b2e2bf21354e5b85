package retention

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/envconf"
)

func TestReadSettings(t *testing.T) {
	r := envconf.FromMap(map[string]string{
		"HERALD_RETENTION_DELIVERIES": "7d", "HERALD_RETENTION_EVENTS": "36h", "HERALD_RETENTION_NOTIFICATIONS": "0",
		"HERALD_RETENTION_WEBHOOK_MESSAGES": "14d",
	})
	s := ReadSettings(r)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	want := Defaults
	want.Deliveries, want.Events, want.Notifications, want.WebhookMessages = 7*Day, 36*time.Hour, 0, 14*Day
	if s != want {
		t.Fatalf("settings %+v, want %+v", s, want)
	}
	r = envconf.FromMap(map[string]string{"HERALD_RETENTION_DEAD_LETTERS": "5m", "HERALD_RETENTION_GONE_SUBSCRIPTIONS": "a month"})
	ReadSettings(r)
	err := r.Err()
	if err == nil || !strings.Contains(err.Error(), "HERALD_RETENTION_DEAD_LETTERS") || !strings.Contains(err.Error(), "HERALD_RETENTION_GONE_SUBSCRIPTIONS") {
		t.Fatalf("want both named: %v", err)
	}
}

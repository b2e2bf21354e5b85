package database

import (
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/heraldpush/herald/pkg/pushendpoint"
)

// migrations is the schema history. Append; never edit a released step.
// Each table has one owner package that alone reads and writes it (see
// ARCHITECTURE.md; pkg/testkit/layout checks it): name the owner when you
// add a table.
var migrations = []migration{
	{1, "apps, keys and subscriptions", `
CREATE TABLE apps (
	id {{uuid}} PRIMARY KEY,
	name TEXT NOT NULL,
	allowed_origins TEXT NOT NULL DEFAULT '[]',
	identity_secret_sealed {{bytes}} NOT NULL,
	created_at {{time}} NOT NULL,
	updated_at {{time}} NOT NULL
);
CREATE TABLE vapid_keys (
	id {{uuid}} PRIMARY KEY,
	app_id {{uuid}} NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
	public_key TEXT NOT NULL,
	private_key_sealed {{bytes}} NOT NULL,
	active BOOLEAN NOT NULL,
	created_at {{time}} NOT NULL,
	retired_at {{time}}
);
CREATE INDEX vapid_keys_app ON vapid_keys (app_id, active);
CREATE TABLE api_keys (
	id {{uuid}} PRIMARY KEY,
	app_id {{uuid}} NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
	secret_hash {{bytes}} NOT NULL,
	created_at {{time}} NOT NULL,
	revoked_at {{time}}
);
CREATE INDEX api_keys_app ON api_keys (app_id);
CREATE TABLE subscriptions (
	id {{uuid}} PRIMARY KEY,
	app_id {{uuid}} NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
	vapid_key_id {{uuid}} NOT NULL REFERENCES vapid_keys (id),
	endpoint TEXT NOT NULL,
	p256dh TEXT NOT NULL,
	auth TEXT NOT NULL,
	user_id TEXT,
	timezone TEXT NOT NULL DEFAULT '',
	user_agent TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	consecutive_failures INTEGER NOT NULL DEFAULT 0,
	expiration_time {{time}},
	last_success_at {{time}},
	created_at {{time}} NOT NULL,
	updated_at {{time}} NOT NULL
);
CREATE UNIQUE INDEX subscriptions_app_endpoint ON subscriptions (app_id, endpoint);
CREATE INDEX subscriptions_broadcast ON subscriptions (app_id, id) WHERE status = 'active';
CREATE INDEX subscriptions_user ON subscriptions (app_id, user_id, id) WHERE status = 'active' AND user_id IS NOT NULL;
CREATE TABLE subscription_topics (
	subscription_id {{uuid}} NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
	app_id {{uuid}} NOT NULL,
	topic TEXT NOT NULL,
	PRIMARY KEY (subscription_id, topic)
);
CREATE INDEX subscription_topics_lookup ON subscription_topics (app_id, topic, subscription_id)
`, nil},
	{2, "notifications, deliveries and dead letters", `
CREATE TABLE notifications (
	id {{uuid}} PRIMARY KEY,
	app_id {{uuid}} NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
	idempotency_key TEXT,
	status TEXT NOT NULL,
	target_kind TEXT NOT NULL,
	target_values TEXT NOT NULL DEFAULT '[]',
	content TEXT NOT NULL,
	payload TEXT NOT NULL,
	ttl INTEGER NOT NULL,
	urgency TEXT NOT NULL DEFAULT '',
	topic TEXT NOT NULL DEFAULT '',
	queue TEXT NOT NULL,
	send_at {{time}},
	enqueued_at {{time}},
	fanout_cursor TEXT NOT NULL DEFAULT '',
	fanout_seq INTEGER NOT NULL DEFAULT 0,
	fanout_done BOOLEAN NOT NULL DEFAULT FALSE,
	targeted BIGINT NOT NULL DEFAULT 0,
	delivered BIGINT NOT NULL DEFAULT 0,
	gone BIGINT NOT NULL DEFAULT 0,
	dead BIGINT NOT NULL DEFAULT 0,
	created_at {{time}} NOT NULL,
	updated_at {{time}} NOT NULL,
	completed_at {{time}}
);
CREATE UNIQUE INDEX notifications_idempotency ON notifications (app_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX notifications_unenqueued ON notifications (created_at) WHERE enqueued_at IS NULL;
CREATE INDEX notifications_app ON notifications (app_id, id);
CREATE TABLE deliveries (
	notification_id {{uuid}} NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
	subscription_id {{uuid}} NOT NULL,
	status TEXT NOT NULL,
	attempts INTEGER NOT NULL,
	last_status INTEGER NOT NULL,
	created_at {{time}} NOT NULL,
	PRIMARY KEY (notification_id, subscription_id)
);
CREATE TABLE dead_letters (
	id {{uuid}} PRIMARY KEY,
	app_id {{uuid}} NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
	notification_id {{uuid}} NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
	subscription_id {{uuid}} NOT NULL,
	attempts INTEGER NOT NULL,
	last_status INTEGER NOT NULL,
	last_error TEXT NOT NULL,
	created_at {{time}} NOT NULL,
	retried_at {{time}}
);
CREATE INDEX dead_letters_app ON dead_letters (app_id, id);
CREATE INDEX dead_letters_notification ON dead_letters (notification_id, subscription_id)
`, nil},
	{3, "engagement events: received, clicked, dismissed", `
ALTER TABLE notifications ADD COLUMN received BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN clicked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN dismissed BIGINT NOT NULL DEFAULT 0;
CREATE TABLE notification_events (
	notification_id {{uuid}} NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	client_key TEXT NOT NULL,
	action TEXT NOT NULL DEFAULT '',
	created_at {{time}} NOT NULL,
	PRIMARY KEY (notification_id, kind, client_key)
);
CREATE TABLE signing_keys (
	name TEXT PRIMARY KEY,
	secret_sealed {{bytes}} NOT NULL,
	created_at {{time}} NOT NULL
)
`, nil},
	{4, "outcome counts in shards, off the notification row", `
CREATE TABLE notification_counts (
	notification_id {{uuid}} NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
	shard INTEGER NOT NULL,
	delivered BIGINT NOT NULL DEFAULT 0,
	gone BIGINT NOT NULL DEFAULT 0,
	dead BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (notification_id, shard)
);
INSERT INTO notification_counts (notification_id, shard, delivered, gone, dead)
	SELECT id, 0, delivered, gone, dead FROM notifications WHERE delivered + gone + dead <> 0;
ALTER TABLE notifications DROP COLUMN delivered;
ALTER TABLE notifications DROP COLUMN gone;
ALTER TABLE notifications DROP COLUMN dead;
CREATE INDEX notifications_sending ON notifications (id) WHERE status = 'sending'
`, nil},
	{5, "a notification's priority instead of its queue's name", `
ALTER TABLE notifications ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal';
UPDATE notifications SET priority = CASE queue WHEN 'herald:critical' THEN 'urgent' WHEN 'herald:bulk' THEN 'bulk' ELSE 'normal' END;
ALTER TABLE notifications DROP COLUMN queue
`, nil},
	{6, "app settings; API keys' prefix and last use; subscriptions by VAPID key", `
ALTER TABLE apps ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE api_keys ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN last_used_at {{time}};
CREATE INDEX subscriptions_vapid_key ON subscriptions (vapid_key_id, status)
`, nil},
	{7, "targeting and timing: capped counts, throttles, cancel keys", `
ALTER TABLE notifications ADD COLUMN cancel_key TEXT;
ALTER TABLE notifications ADD COLUMN time_sensitive BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE notifications ADD COLUMN category TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN throttle_per_minute INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN send_at_local TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN skip_if_past BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE notification_counts ADD COLUMN capped BIGINT NOT NULL DEFAULT 0;
CREATE INDEX notifications_cancel_key ON notifications (app_id, cancel_key) WHERE cancel_key IS NOT NULL
`, nil},
	{8, "payload formats: a declarative payload for Apple's push service, the app badge", `
ALTER TABLE notifications ADD COLUMN format TEXT NOT NULL DEFAULT 'standard';
ALTER TABLE notifications ADD COLUMN payload_declarative TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN app_badge INTEGER
`, nil},
	{9, "retention: gone subscriptions by age; deliveries partitioned by day (PostgreSQL)", `
CREATE INDEX subscriptions_gone ON subscriptions (updated_at) WHERE status = 'gone'
`, func(tx *gorm.DB) error {
		return partitionByDay(tx, "deliveries", func(name string) string {
			return `CREATE TABLE ` + name + ` (
	notification_id UUID NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
	subscription_id UUID NOT NULL,
	status TEXT NOT NULL,
	attempts INTEGER NOT NULL,
	last_status INTEGER NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (notification_id, subscription_id)
) PARTITION BY RANGE (notification_id)`
		}, "notification_id, subscription_id, status, attempts, last_status, created_at", time.Now(), PartitionDaysAhead)
	}},
	{10, "idempotency: the request a key was first used with", `
ALTER TABLE notifications ADD COLUMN request_fingerprint TEXT NOT NULL DEFAULT ''
`, nil},
	{11, "local-time delivery: a notification's zones and the one its fan-out walks", `
ALTER TABLE notifications ADD COLUMN zones TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN zone_index INTEGER NOT NULL DEFAULT 0
`, nil},
	{12, "progress times for the reconciler: when outcomes were last counted, open notifications by id", `
ALTER TABLE notification_counts ADD COLUMN updated_at {{time}};
CREATE INDEX notifications_open ON notifications (id) WHERE status IN ('scheduled', 'queued', 'sending')
`, nil},
	{13, "silent revocation: receipts and the pushes since the last one", `
ALTER TABLE subscriptions ADD COLUMN last_received_at {{time}};
ALTER TABLE subscriptions ADD COLUMN unreceived_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN unreceived_since {{time}}
`, nil},
	{14, "listings of subscriptions by app, status and user, in id order", `
CREATE INDEX subscriptions_app ON subscriptions (app_id, id);
CREATE INDEX subscriptions_app_status ON subscriptions (app_id, status, id);
CREATE INDEX subscriptions_app_user ON subscriptions (app_id, user_id, id) WHERE user_id IS NOT NULL
`, nil},
	{15, "notification history by status, in id order", `
CREATE INDEX notifications_app_status ON notifications (app_id, status, id)
`, nil},
	{canonicalEndpoints, "canonical endpoints: one spelling per push URL, duplicates merged (dataSteps)", ``, nil},
	{17, "webhooks: endpoints, the outbox of their requests, engagement waiting to be batched; completions to announce", `
CREATE TABLE webhook_endpoints (
	id {{uuid}} PRIMARY KEY,
	app_id {{uuid}} NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
	url TEXT NOT NULL,
	events TEXT NOT NULL DEFAULT '[]',
	secret_sealed {{bytes}} NOT NULL,
	previous_secret_sealed {{bytes}},
	previous_secret_until {{time}},
	disabled BOOLEAN NOT NULL DEFAULT FALSE,
	disabled_reason TEXT NOT NULL DEFAULT '',
	failing_since {{time}},
	next_batch_at {{time}},
	created_at {{time}} NOT NULL,
	updated_at {{time}} NOT NULL
);
CREATE INDEX webhook_endpoints_app ON webhook_endpoints (app_id, id);
CREATE TABLE webhook_messages (
	id {{uuid}} PRIMARY KEY,
	app_id {{uuid}} NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
	endpoint_id {{uuid}} NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
	event_type TEXT NOT NULL,
	payload TEXT NOT NULL,
	status TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at {{time}} NOT NULL,
	retry_until {{time}} NOT NULL,
	last_status INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	last_latency_ms INTEGER NOT NULL DEFAULT 0,
	last_attempt_at {{time}},
	created_at {{time}} NOT NULL,
	finished_at {{time}}
);
CREATE INDEX webhook_messages_due ON webhook_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_messages_endpoint ON webhook_messages (endpoint_id, id);
CREATE TABLE webhook_events (
	id {{uuid}} PRIMARY KEY,
	endpoint_id {{uuid}} NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
	event_type TEXT NOT NULL,
	data TEXT NOT NULL,
	created_at {{time}} NOT NULL
);
CREATE INDEX webhook_events_endpoint ON webhook_events (endpoint_id, id);
ALTER TABLE notifications ADD COLUMN completion_announced BOOLEAN NOT NULL DEFAULT TRUE;
CREATE INDEX notifications_unannounced ON notifications (completed_at) WHERE NOT completion_announced
`, nil},
	{18, "personalised content: subscription attributes, per-user data of a notification", `
ALTER TABLE subscriptions ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
ALTER TABLE notifications ADD COLUMN personalization TEXT NOT NULL DEFAULT ''
`, nil},
	{19, "A/B variants: the variants of a notification, outcome counts per variant", `
ALTER TABLE notifications ADD COLUMN variants TEXT NOT NULL DEFAULT '';
CREATE TABLE notification_variant_counts (
	notification_id {{uuid}} NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
	variant INTEGER NOT NULL,
	shard INTEGER NOT NULL,
	delivered BIGINT NOT NULL DEFAULT 0,
	gone BIGINT NOT NULL DEFAULT 0,
	dead BIGINT NOT NULL DEFAULT 0,
	capped BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (notification_id, variant, shard)
)
`, nil},
	{20, "A/B variants: engagement per variant", `
ALTER TABLE notification_variant_counts ADD COLUMN received BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notification_variant_counts ADD COLUMN clicked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notification_variant_counts ADD COLUMN dismissed BIGINT NOT NULL DEFAULT 0
`, nil},
	{21, "webhooks through the job queue: messages handed over (a task each, per re-send round), leased while sent", `
ALTER TABLE webhook_messages ADD COLUMN resends INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_messages ADD COLUMN handed_over_at {{time}};
ALTER TABLE webhook_messages ADD COLUMN leased_until {{time}};
DROP INDEX webhook_messages_due;
CREATE INDEX webhook_messages_unrelayed ON webhook_messages (next_attempt_at) WHERE status = 'pending' AND handed_over_at IS NULL;
CREATE INDEX webhook_messages_handed_over ON webhook_messages (handed_over_at) WHERE status = 'pending' AND handed_over_at IS NOT NULL
`, nil},
	{22, "personalised content: users' own attributes", `
CREATE TABLE user_attributes (
	app_id {{uuid}} NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
	user_id TEXT NOT NULL,
	attributes TEXT NOT NULL,
	updated_at {{time}} NOT NULL,
	PRIMARY KEY (app_id, user_id)
)
`, nil},
	{23, "retention of webhook messages: finished ones by when they finished", `
CREATE INDEX webhook_messages_finished ON webhook_messages (finished_at) WHERE status IN ('delivered', 'failed')
`, nil},
	{24, "webhook deliveries: each message's recent attempts", `
ALTER TABLE webhook_messages ADD COLUMN recent_attempts TEXT NOT NULL DEFAULT '[]'
`, nil},
	{25, "claims on running jobs, in the database: a Redis failover drops claims kept in Redis", `
CREATE TABLE job_runs (
	job TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	expires_at {{time}} NOT NULL
);
CREATE INDEX job_runs_expires ON job_runs (expires_at)
`, nil},
}

// dataSteps run after their migration's SQL (by version), on
// every dialect, in the same transaction: for rows that need Go to rewrite.
var dataSteps = map[int]func(tx *gorm.DB) error{
	canonicalEndpoints: mergeEndpointSpellings,
}

// canonicalEndpoints is the version of the step that merges endpoints.
const canonicalEndpoints = 16

// mergeEndpointSpellings gives every subscription its canonical endpoint
// (pushendpoint.Canonical) and merges the ones that were one push URL
// spelled several ways: in each app the active one made last stays (else
// the one made last), takes the others' topics (and a user id if it had
// none), and the others go. Deliveries keep the ids they recorded.
func mergeEndpointSpellings(tx *gorm.DB) error {
	type sub struct {
		ID, AppID, Endpoint, Status string
		UserID                      *string
		CreatedAt                   time.Time
	}
	type group struct{ appID, endpoint string }
	respelled := map[group][]sub{}
	for after := "00000000-0000-0000-0000-000000000000"; ; { // below every id, in both dialects
		var page []sub
		if err := tx.Raw(`SELECT id, app_id, endpoint, status, user_id, created_at FROM subscriptions
			WHERE id > ? ORDER BY id LIMIT 5000`, after).Scan(&page).Error; err != nil {
			return fmt.Errorf("read subscriptions: %w", err)
		}
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1].ID
		for _, s := range page {
			if c := pushendpoint.Canonical(s.Endpoint); c != s.Endpoint {
				g := group{s.AppID, c}
				respelled[g] = append(respelled[g], s)
			}
		}
	}
	for g, members := range respelled {
		var spelled []sub // the one already spelled canonically, if any
		if err := tx.Raw(`SELECT id, app_id, endpoint, status, user_id, created_at FROM subscriptions
			WHERE app_id = ? AND endpoint = ?`, g.appID, g.endpoint).Scan(&spelled).Error; err != nil {
			return fmt.Errorf("read subscriptions: %w", err)
		}
		members = append(members, spelled...)
		keep := members[0]
		for _, m := range members[1:] {
			if keptOver(m.Status == "active", keep.Status == "active", m.CreatedAt, keep.CreatedAt, m.ID, keep.ID) {
				keep = m
			}
		}
		for _, m := range members {
			if m.ID == keep.ID {
				continue
			}
			if err := tx.Exec(`INSERT INTO subscription_topics (subscription_id, app_id, topic)
				SELECT ?, app_id, topic FROM subscription_topics WHERE subscription_id = ? ON CONFLICT DO NOTHING`, keep.ID, m.ID).Error; err != nil {
				return fmt.Errorf("move topics: %w", err)
			}
			if keep.UserID == nil && m.UserID != nil {
				if err := tx.Exec(`UPDATE subscriptions SET user_id = ? WHERE id = ?`, *m.UserID, keep.ID).Error; err != nil {
					return fmt.Errorf("move user: %w", err)
				}
				keep.UserID = m.UserID
			}
			if err := tx.Exec(`DELETE FROM subscription_topics WHERE subscription_id = ?`, m.ID).Error; err != nil {
				return fmt.Errorf("merge subscription: %w", err)
			}
			if err := tx.Exec(`DELETE FROM subscriptions WHERE id = ?`, m.ID).Error; err != nil {
				return fmt.Errorf("merge subscription: %w", err)
			}
		}
		if err := tx.Exec(`UPDATE subscriptions SET endpoint = ? WHERE id = ?`, g.endpoint, keep.ID).Error; err != nil {
			return fmt.Errorf("respell endpoint: %w", err)
		}
	}
	return nil
}

// keptOver says whether subscription a stays rather than b when they are
// one push URL: an active one over one that is not, then the one made
// last (then the greater id, so the choice does not depend on order).
func keptOver(aActive, bActive bool, aMade, bMade time.Time, aID, bID string) bool {
	if aActive != bActive {
		return aActive
	}
	if !aMade.Equal(bMade) {
		return aMade.After(bMade)
	}
	return aID > bID
}

// PartitionDaysAhead is how many days of partitions wait ahead of today.
const PartitionDaysAhead = 7

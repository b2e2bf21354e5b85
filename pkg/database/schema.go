package database

// migrations is the schema history. Append; never edit a released step.
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
`},
}

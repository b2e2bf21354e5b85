package httpapi

// errorCodes is every stable error code the API answers, for the OpenAPI
// description; a test finds every code the code base declares and fails
// when one is missing here.
var errorCodes = []string{
	"nothing_imported", "storage_unavailable",
	"idempotency_key_reused", "invalid_event_action", "invalid_expiration_time", "invalid_public_topics", "invalid_text", "invalid_utf8", "origin_required", "topic_not_public",
	"api_key_not_found", "app_busy", "app_not_found", "body_too_large", "dead_letter_not_found", "dead_letter_retried", "endpoint_not_allowed", "events_unavailable", "import_interrupted", "import_read_failed", "internal_error", "invalid_allowed_origins", "invalid_api_key", "invalid_auth", "invalid_cancel_key", "invalid_category", "invalid_cursor", "invalid_default_format", "invalid_default_timezone", "invalid_retention", "invalid_app_badge", "invalid_format", "invalid_default_ttl", "invalid_endpoint", "invalid_event", "invalid_event_token", "invalid_event_type", "invalid_force", "invalid_frequency_caps", "invalid_gzip", "invalid_idempotency_key", "invalid_json", "invalid_limit", "invalid_name", "invalid_notification", "invalid_p256dh", "invalid_quiet_hours", "invalid_segment", "invalid_send_at", "invalid_send_at_local", "invalid_since", "invalid_status", "invalid_subscription", "invalid_target", "invalid_throttle", "invalid_throttle_per_minute", "invalid_timezone", "invalid_topic", "invalid_topics", "invalid_ttl", "invalid_urgency", "invalid_user_hash", "invalid_user_id", "invalid_vapid_audience", "invalid_vapid_key", "line_too_long", "method_not_allowed", "not_found", "not_ready", "notification_completed", "notification_not_found", "origin_not_allowed", "payload_too_large", "preview_timeout", "rate_limited", "status_not_active", "subscription_not_found", "unauthorized", "unknown_field", "unknown_vapid_key", "vapid_key_active", "vapid_key_exists", "vapid_key_in_use", "vapid_key_mismatch", "vapid_key_not_found",
}

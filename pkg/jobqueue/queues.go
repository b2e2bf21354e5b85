// Package jobqueue is Herald's job transport, and the only package under
// pkg/ that knows asynq: the queues (one per notification priority, and
// one for webhook requests, webhooks.go), the task types and their protobuf
// payloads (proto/herald/v1), enqueueing with keys that make it
// idempotent, and the inspector that reads queue figures. It implements
// delivery.Jobs and webhook.Jobs; the worker serves the queues
// (services/worker).
package jobqueue

import "github.com/heraldpush/herald/pkg/notification"

// Queues, one per priority. Critical holds urgent notifications to few
// recipients so that a large broadcast in Bulk cannot starve them. The
// names are public: /v1/stats and the metrics report them.
const (
	Critical = "herald:critical"
	Default  = "herald:default"
	Bulk     = "herald:bulk"
)

// Names lists every queue: the notification priorities, most urgent first,
// then the webhook requests (Webhooks).
var Names = []string{Critical, Default, Bulk, Webhooks}

// QueueFor is the queue that carries work of priority p.
func QueueFor(p notification.Priority) string {
	switch p {
	case notification.Urgent:
		return Critical
	case notification.Bulk:
		return Bulk
	}
	return Default
}

// PriorityOf is the priority of work taken from queue.
func PriorityOf(queue string) notification.Priority {
	switch queue {
	case Critical:
		return notification.Urgent
	case Bulk:
		return notification.Bulk
	}
	return notification.Normal
}

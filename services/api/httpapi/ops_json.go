package httpapi

import (
	"time"

	"github.com/heraldpush/herald/pkg/deadletter"
	"github.com/heraldpush/herald/pkg/jobqueue"
	"github.com/heraldpush/herald/pkg/opsstats"
)

// Response types of the stats and dead-letter routes.

type queueView struct {
	Name      string `json:"name"`
	Pending   int    `json:"pending"`
	Active    int    `json:"active"`
	Scheduled int    `json:"scheduled"`
	Retry     int    `json:"retry"`
	Processed int    `json:"processed"`
	Failed    int    `json:"failed"`
	LatencyMS int64  `json:"latency_ms"`
	Archived  int    `json:"archived"`
}

func viewQueues(qs []jobqueue.QueueInfo) []queueView {
	out := make([]queueView, len(qs))
	for i, q := range qs {
		out[i] = queueView{Name: q.Name, Pending: q.Pending, Active: q.Active, Scheduled: q.Scheduled, Retry: q.Retry,
			Processed: q.Processed, Failed: q.Failed, LatencyMS: q.Latency.Milliseconds(), Archived: q.Archived}
	}
	return out
}

type ratesView struct {
	WindowSeconds      int     `json:"window_seconds"`
	DeliveredPerSecond float64 `json:"delivered_per_second"`
	GonePerSecond      float64 `json:"gone_per_second"`
	RetryPerSecond     float64 `json:"retry_per_second"`
	FailedPerSecond    float64 `json:"failed_per_second"`
}

type progressCountsView struct {
	Targeted  int64 `json:"targeted"`
	Delivered int64 `json:"delivered"`
	Gone      int64 `json:"gone"`
	Dead      int64 `json:"dead"`
	Capped    int64 `json:"capped"`
	Pending   int64 `json:"pending"`
}

type progressView struct {
	ID        string             `json:"id"`
	AppID     string             `json:"app_id,omitempty"`
	Status    string             `json:"status"`
	Counts    progressCountsView `json:"counts"`
	CreatedAt time.Time          `json:"created_at"`
}

func viewProgress(ps []opsstats.Progress) []progressView {
	out := make([]progressView, len(ps))
	for i, p := range ps {
		out[i] = progressView{ID: p.ID, AppID: p.AppID, Status: p.Status, CreatedAt: p.CreatedAt,
			Counts: progressCountsView(p.Counts)}
	}
	return out
}

type pointView struct {
	T         int64            `json:"t"` // bucket start, unix seconds
	Delivered int64            `json:"delivered"`
	Gone      int64            `json:"gone"`
	Retry     int64            `json:"retry"`
	Failed    int64            `json:"failed"`
	Reasons   map[string]int64 `json:"reasons,omitempty"` // everything but delivered
}

func viewSeries(points []opsstats.Point) []pointView {
	out := make([]pointView, len(points))
	for i, p := range points {
		out[i] = pointView(p)
	}
	return out
}

type countsByStatusView struct {
	Notifications map[string]int64 `json:"notifications"`
	Subscriptions map[string]int64 `json:"subscriptions"`
	DeadLetters   int64            `json:"dead_letters"` // not yet retried
	At            time.Time        `json:"at"`
}

type deadLetterView struct {
	ID             string     `json:"id"`
	AppID          string     `json:"app_id,omitempty"` // admin routes only
	NotificationID string     `json:"notification_id"`
	SubscriptionID string     `json:"subscription_id"`
	Attempts       int        `json:"attempts"`
	LastStatus     int        `json:"last_status"`
	LastError      string     `json:"last_error"`
	CreatedAt      time.Time  `json:"created_at"`
	RetriedAt      *time.Time `json:"retried_at"`
}

func viewDeadLetter(dl deadletter.DeadLetter) deadLetterView {
	return deadLetterView{ID: dl.ID, NotificationID: dl.NotificationID, SubscriptionID: dl.SubscriptionID,
		Attempts: dl.Attempts, LastStatus: dl.LastStatus, LastError: dl.LastError, CreatedAt: dl.CreatedAt, RetriedAt: dl.RetriedAt}
}

func viewDeadLetters(letters []deadletter.DeadLetter) []deadLetterView {
	out := make([]deadLetterView, len(letters))
	for i, dl := range letters {
		out[i] = viewDeadLetter(dl)
	}
	return out
}

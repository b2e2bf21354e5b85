package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/opsstats"
)

// appStats is GET /v1/stats: the contract's queues, plus the caller's
// notifications in progress and the fleet's delivery rates.
type appStats struct {
	Queues        []opsstats.QueueStat `json:"queues"`
	Workers       int                  `json:"workers"`
	DeliveryRates opsstats.Summary     `json:"delivery_rates"`
	InProgress    []opsstats.Progress  `json:"notifications_in_progress"`
	GeneratedAt   time.Time            `json:"generated_at"`
}

// stats answers from caches only: queue figures and progress at most
// statsTTL old; it never scans the subscriptions table.
func (a *api) stats(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	s := a.Ops.Stats
	if s == nil {
		return errNotReady
	}
	ctx := c.Request.Context()
	qs, err := s.Queues(ctx)
	if err != nil {
		a.Log.Warn("queue stats", "err", err)
		return errNotReady
	}
	progress, err := s.InProgress(ctx, owner.ID)
	if err != nil {
		return err
	}
	series, err := s.Rates().Series(ctx)
	if err != nil {
		a.Log.Warn("delivery rates", "err", err)
		return errNotReady
	}
	c.JSON(http.StatusOK, appStats{
		Queues: qs.Queues, Workers: qs.Workers, DeliveryRates: opsstats.LastMinute(series),
		InProgress: progress, GeneratedAt: qs.At,
	})
	return nil
}

// adminStats is everything the dashboard draws, for every app.
type adminStats struct {
	appStats
	Counts opsstats.Counts  `json:"counts"`
	Series []opsstats.Point `json:"series"` // one point per opsstats.BucketSeconds
	Bucket int              `json:"bucket_seconds"`
}

func (a *api) adminStats(c *gin.Context) error {
	s := a.Ops.Stats
	if s == nil {
		return errNotReady
	}
	ctx := c.Request.Context()
	qs, err := s.Queues(ctx)
	if err != nil {
		a.Log.Warn("queue stats", "err", err)
		return errNotReady
	}
	counts, err := s.Counts(ctx)
	if err != nil {
		return err
	}
	progress, err := s.InProgress(ctx, "")
	if err != nil {
		return err
	}
	series, err := s.Rates().Series(ctx)
	if err != nil {
		a.Log.Warn("delivery rates", "err", err)
		return errNotReady
	}
	c.JSON(http.StatusOK, adminStats{
		appStats: appStats{Queues: qs.Queues, Workers: qs.Workers, DeliveryRates: opsstats.LastMinute(series),
			InProgress: progress, GeneratedAt: qs.At},
		Counts: counts, Series: series, Bucket: opsstats.BucketSeconds,
	})
	return nil
}

func (a *api) adminDeadLetters(c *gin.Context) error {
	if a.Ops.Stats == nil {
		return errNotReady
	}
	limit := 20
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return fault.Invalid("invalid_limit", "limit must be 1 to 200")
		}
		limit = n
	}
	letters, err := a.Ops.Stats.RecentDeadLetters(c.Request.Context(), limit)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"dead_letters": letters})
	return nil
}

// adminRetryDeadLetter retries any app's dead letter, as the app's own
// POST /v1/dead-letters/{id}/retry would.
func (a *api) adminRetryDeadLetter(c *gin.Context) error {
	if a.Ops.Stats == nil {
		return errNotReady
	}
	ctx := c.Request.Context()
	appID, err := a.Ops.Stats.DeadLetterApp(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	if appID == "" {
		return delivery.ErrDeadLetterNotFound
	}
	dl, err := a.DeadLetters.Retry(ctx, appID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, dl)
	return nil
}

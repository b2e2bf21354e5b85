package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/deadletter"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/opsstats"
)

// appStats is GET /v1/stats: the contract's queues, plus the caller's
// notifications in progress and the fleet's delivery rates.
type appStats struct {
	Queues        []queueView    `json:"queues"`
	Workers       int            `json:"workers"`
	DeliveryRates ratesView      `json:"delivery_rates"`
	InProgress    []progressView `json:"notifications_in_progress"`
	GeneratedAt   time.Time      `json:"generated_at"`
}

// collectStats gathers what both stats routes show, from caches only:
// queue figures and progress at most statsTTL old, never a scan of the
// subscriptions table. appID "" means every app. It also returns the rate
// series the summary was made from.
func (a *api) collectStats(ctx context.Context, appID string) (appStats, []opsstats.Point, error) {
	s := a.Ops.Stats
	if s == nil {
		return appStats{}, nil, errNotReady
	}
	qs, err := s.Queues(ctx)
	if err != nil {
		a.Log.Warn("queue stats", "err", err)
		return appStats{}, nil, errNotReady
	}
	progress, err := s.InProgress(ctx, appID)
	if err != nil {
		return appStats{}, nil, err
	}
	series, err := s.Rates().Series(ctx)
	if err != nil {
		a.Log.Warn("delivery rates", "err", err)
		return appStats{}, nil, errNotReady
	}
	return appStats{
		Queues: viewQueues(qs.Queues), Workers: qs.Workers, DeliveryRates: ratesView(opsstats.LastMinute(series)),
		InProgress: viewProgress(progress), GeneratedAt: qs.At,
	}, series, nil
}

// stats is GET /v1/stats for the caller's app.
func (a *api) stats(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	st, _, err := a.collectStats(c.Request.Context(), owner.ID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, st)
	return nil
}

// adminStats is everything the dashboard draws, for every app.
type adminStats struct {
	appStats
	Counts countsByStatusView `json:"counts"`
	Series []pointView        `json:"series"` // one point per opsstats.BucketSeconds
	Bucket int                `json:"bucket_seconds"`
}

func (a *api) adminStats(c *gin.Context) error {
	ctx := c.Request.Context()
	st, series, err := a.collectStats(ctx, "")
	if err != nil {
		return err
	}
	counts, err := a.Ops.Stats.Counts(ctx)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, adminStats{appStats: st, Counts: countsByStatusView(counts), Series: viewSeries(series), Bucket: opsstats.BucketSeconds})
	return nil
}

func (a *api) adminDeadLetters(c *gin.Context) error {
	if a.Ops.Stats == nil {
		return errNotReady
	}
	limit, err := adminLimit(c)
	if err != nil {
		return err
	}
	letters, err := a.Ops.Stats.RecentDeadLetters(c.Request.Context(), limit)
	if err != nil {
		return err
	}
	views := viewDeadLetters(letters)
	for i := range views {
		views[i].AppID = letters[i].AppID
	}
	// open is counted now, beside the list, so the two always agree
	// (the stats' cached count may lag by seconds).
	open, err := a.Ops.Stats.OpenDeadLetters(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"dead_letters": views, "open": open})
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
		return deadletter.ErrNotFound
	}
	dl, err := a.Retrier.Retry(ctx, appID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, viewDeadLetter(*dl))
	return nil
}

// adminLimit reads the dashboard lists' ?limit= (1 to 200, default 20).
func adminLimit(c *gin.Context) (int, error) {
	v := c.Query("limit")
	if v == "" {
		return 20, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 200 {
		return 0, fault.Invalid("invalid_limit", "limit must be 1 to 200")
	}
	return n, nil
}

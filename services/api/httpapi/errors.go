package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/fault"
)

// Errors of the HTTP layer itself; domain errors come from the domain packages.
var (
	errNoRoute  = fault.NotFound("not_found", "no such route")
	errNoMethod = &fault.Error{Code: "method_not_allowed", Message: "method not allowed on this route"}
	errInternal = &fault.Error{Code: "internal_error", Message: "internal error; it has been logged"}
	errNotReady = fault.Unavailable("not_ready", "database or Redis unreachable")
	// errStorage answers a request that needed the database while it is
	// unreachable: nothing was changed, and the same request may be sent
	// again after Retry-After.
	errStorage = fault.Unavailable("storage_unavailable",
		"the database is unreachable; nothing was changed: send the same request again after the Retry-After seconds")
	// errAttributesNeedUser refuses attributes from a browser that proves no user.
	errAttributesNeedUser = fault.Forbidden("invalid_user_hash",
		"a browser sets attributes only with user_id and the user_hash your backend computed for it; or set them from the backend with POST /v1/subscriptions")
)

// retryAfterSeconds is the Retry-After of every 503: a database restart or
// failover usually takes a few seconds.
const retryAfterSeconds = "5"

// errOrigin refuses a page whose origin the app does not allow, naming it
// and how to allow it.
func errOrigin(origin string) error {
	return fault.Forbidden("origin_not_allowed",
		"origin %q is not in the app's allowed_origins; add it with PATCH /v1/apps/{id} {\"allowed_origins\": [...]}", origin)
}

// statusOf is the single place that turns a fault kind into an HTTP status.
func statusOf(f *fault.Error) int {
	switch {
	case f == errNoMethod:
		return http.StatusMethodNotAllowed
	case f.Kind == fault.KindMalformed:
		return http.StatusBadRequest
	case f.Kind == fault.KindInvalid:
		return http.StatusUnprocessableEntity
	case f.Kind == fault.KindUnauthorized:
		return http.StatusUnauthorized
	case f.Kind == fault.KindForbidden:
		return http.StatusForbidden
	case f.Kind == fault.KindNotFound:
		return http.StatusNotFound
	case f.Kind == fault.KindConflict:
		return http.StatusConflict
	case f.Kind == fault.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case f.Kind == fault.KindRateLimited:
		return http.StatusTooManyRequests
	case f.Kind == fault.KindUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// handle adapts a handler that returns an error to gin.
func (a *api) handle(fn func(*gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := fn(c); err != nil {
			writeError(c, a.Log, err)
		}
	}
}

// writeError answers {"error": {"code", "message"}}. Errors that are not
// faults are internal: logged, never shown.
func writeError(c *gin.Context, log *slog.Logger, err error) {
	f, ok := fault.As(err)
	switch {
	case ok:
	case database.Unavailable(err):
		log.Warn("request failed: database unreachable", "path", c.Request.URL.Path, "err", err)
		f = errStorage
	default:
		log.Error("request failed", "path", c.Request.URL.Path, "err", err)
		f = errInternal
	}
	status := statusOf(f)
	if status == http.StatusServiceUnavailable {
		c.Header("Retry-After", retryAfterSeconds)
	}
	c.AbortWithStatusJSON(status, gin.H{"error": gin.H{"code": f.Code, "message": f.Message}})
}

// Package queue names Herald's asynq queues and adapts asynq to slog.
package queue

import (
	"fmt"
	"log/slog"
	"os"
)

// Queues, by who uses them. Critical holds urgent notifications to few
// recipients so that a large broadcast in Bulk cannot starve them.
const (
	Critical = "herald:critical"
	Default  = "herald:default"
	Bulk     = "herald:bulk"
)

// Weights returns asynq's weighted priorities for a server serving all queues.
func Weights() map[string]int { return map[string]int{Critical: 6, Default: 3, Bulk: 1} }

// Logger adapts slog to asynq's logger interface.
type Logger struct{ Log *slog.Logger }

func (l Logger) Debug(args ...any) { l.Log.Debug(fmt.Sprint(args...), "component", "asynq") }
func (l Logger) Info(args ...any)  { l.Log.Info(fmt.Sprint(args...), "component", "asynq") }
func (l Logger) Warn(args ...any)  { l.Log.Warn(fmt.Sprint(args...), "component", "asynq") }
func (l Logger) Error(args ...any) { l.Log.Error(fmt.Sprint(args...), "component", "asynq") }

// Fatal is called by asynq only when it cannot go on; it expects no return.
func (l Logger) Fatal(args ...any) {
	l.Log.Error(fmt.Sprint(args...), "component", "asynq", "fatal", true)
	os.Exit(1)
}

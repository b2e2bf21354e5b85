package dbtest

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/heraldpush/herald/pkg/database"
)

// Recorder is a PostgreSQL database whose statements are recorded (with
// their values), so a test can run a store's real queries and then EXPLAIN
// each of them.
type Recorder struct {
	*database.DB
	plain *database.DB
	mu    sync.Mutex
	sql   []string
}

// Record wraps db; stores built over Recorder.DB record what they run.
func Record(db *database.DB) *Recorder {
	r := &Recorder{plain: db}
	r.DB = &database.DB{DB: db.Session(&gorm.Session{Logger: r}), Dialect: db.Dialect}
	return r
}

// Take returns the statements recorded since the last Take.
func (r *Recorder) Take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sql
	r.sql = nil
	return out
}

// AssertNoTableScan EXPLAINs each SELECT with sequential scans priced out
// of reach (so a plan takes any usable index, as it would on a large
// table) and fails the test for a plan that still reads a whole table, or
// that sorts a statement with a LIMIT: a page read in its index's order
// stops at its limit, a sorted one reads every matching row first. (A
// lookup of a page's own keys may sort: it is as small as the page.)
func (r *Recorder) AssertNoTableScan(t testing.TB, what string, statements []string) {
	t.Helper()
	if len(statements) == 0 {
		t.Fatalf("%s ran no statement", what)
	}
	for _, sql := range statements {
		if !strings.HasPrefix(strings.TrimSpace(sql), "SELECT") {
			continue
		}
		var plan string
		err := r.plain.InTx(context.Background(), func(tx *database.DB) error {
			if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
				return err
			}
			return tx.Raw("EXPLAIN (FORMAT JSON) " + sql).Row().Scan(&plan)
		})
		if err != nil {
			t.Fatalf("%s: EXPLAIN %s: %v", what, sql, err)
		}
		var nodes []struct{ Plan planNode }
		if err := json.Unmarshal([]byte(plan), &nodes); err != nil || len(nodes) != 1 {
			t.Fatalf("%s: plan %s: %v", what, plan, err)
		}
		if scans := nodes[0].Plan.seqScans(strings.Contains(sql, " LIMIT ")); len(scans) > 0 {
			t.Errorf("%s reads whole tables or sorts %v:\n%s\nplan: %s", what, scans, sql, plan)
		}
	}
}

type planNode struct {
	NodeType string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Plans    []planNode `json:"Plans"`
}

func (p planNode) seqScans(paged bool) []string {
	var out []string
	switch p.NodeType {
	case "Seq Scan":
		out = append(out, p.Relation)
	case "Sort", "Incremental Sort":
		if paged {
			out = append(out, "(sort)")
		}
	}
	for _, c := range p.Plans {
		out = append(out, c.seqScans(paged)...)
	}
	return out
}

// logger.Interface: only Trace records; the rest is silent.

func (r *Recorder) LogMode(logger.LogLevel) logger.Interface { return r }
func (r *Recorder) Info(context.Context, string, ...any)     {}
func (r *Recorder) Warn(context.Context, string, ...any)     {}
func (r *Recorder) Error(context.Context, string, ...any)    {}
func (r *Recorder) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	sql, _ := fc()
	r.mu.Lock()
	r.sql = append(r.sql, sql)
	r.mu.Unlock()
}

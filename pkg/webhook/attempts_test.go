package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// A message failing twice, then delivered, lists its three attempts in
// order, each with the status the endpoint answered, its error and how
// long the endpoint took (the receiver takes longer each time).
func TestDeliveryListsItsRecentAttempts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := setup(t, db)
		statuses := []int{500, 503, 204}
		var mu sync.Mutex
		n := 0
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			mu.Lock()
			i := min(n, len(statuses)-1)
			n++
			mu.Unlock()
			time.Sleep(time.Duration(i+1) * 40 * time.Millisecond)
			w.WriteHeader(statuses[i])
		}))
		t.Cleanup(srv.Close)
		const base = 100 * time.Millisecond
		d := NewDispatcher(DispatcherConfig{DB: f.db, Key: f.key, Jobs: f.queue(t), Origins: policy(t, srv.URL), BackoffBase: base, BackoffMax: 8 * base})
		ctx := context.Background()
		e, _ := f.completedTo(t, d, srv.URL+"/hook")
		var msgs []Message
		var err error
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if err := f.work(t, d); err != nil {
				t.Fatal(err)
			}
			if msgs, _, err = d.store.Messages(ctx, f.appID, e.ID, pageOf(10)); err != nil {
				t.Fatal(err)
			}
			if len(msgs) == 1 && msgs[0].Status != Pending {
				break
			}
		}
		if len(msgs) != 1 || msgs[0].Status != Delivered {
			t.Fatalf("messages %+v", msgs)
		}
		got := msgs[0].RecentAttempts()
		if len(got) != len(statuses) {
			t.Fatalf("attempts %+v, want %d", got, len(statuses))
		}
		for i, a := range got {
			if a.Status != statuses[i] || a.LatencyMS < int64(i+1)*40 || a.At.IsZero() || (a.Error == "") != (a.Status == 204) {
				t.Errorf("attempt %d: %+v, want status %d, latency at least %d ms, an error unless delivered", i+1, a, statuses[i], (i+1)*40)
			}
			if i > 0 && !a.At.After(got[i-1].At) {
				t.Errorf("attempt %d at %s, not after attempt %d", i+1, a.At, i)
			}
		}
	})
}

// A message keeps its latest MaxRecentAttempts attempts, oldest first.
func TestRecentAttemptsKeepTheLatest(t *testing.T) {
	m := &Message{}
	start := time.Now().UTC()
	for i := range MaxRecentAttempts + 3 {
		m.RecentAttemptsJSON = m.withAttempt(attempt{status: 500 + i, latency: time.Millisecond}, start.Add(time.Duration(i)*time.Second))
	}
	got := m.RecentAttempts()
	if len(got) != MaxRecentAttempts || got[0].Status != 503 || got[len(got)-1].Status != 500+MaxRecentAttempts+2 {
		t.Fatalf("kept %+v", got)
	}
}

package delivery_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/jobqueue"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/testkit"
)

// A notification for 09:00 on 14 March 2027 on each recipient's clock, to
// subscriptions in Sydney, Kolkata, Berlin, New York and the app's default
// zone (Vienna, which shares Berlin's offset), accepted the day before:
// one fan-out job per UTC offset (four), each due when it is 09:00 there:
// New York's at 13:00Z, since its clocks go forward that night (at the
// offset it had when accepted it would be 14:00Z). At each zone's instant
// the fan-out queues exactly that zone's subscriptions, a second early it
// queues nothing; the notification is scheduled until the first zone
// starts, and completes with every zone's messages counted.
func TestLocalTimeOneFanoutPerOffsetAcrossADSTChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	vienna := app.Timezone("Europe/Vienna")
	f.settings(t, app.Settings{DefaultTimezone: &vienna})
	people := map[string][]string{} // time zone -> subscription ids
	for _, tz := range []string{"Australia/Sydney", "Asia/Kolkata", "Europe/Berlin", "", "America/New_York"} {
		people[tz], _ = f.addPeople(t, 3, tz, "")
	}
	clk := &clock{now: time.Date(2027, 3, 13, 12, 0, 0, 0, time.UTC)}
	viennaLoc, _ := time.LoadLocation("Europe/Vienna")
	n := f.send(t, notification.Request{Target: notification.Target{All: true}, Notification: notification.Content{Title: "good morning"},
		SendAtLocal: "2027-03-14T09:00", App: notification.AppDefaults{Timezone: viennaLoc}})
	if n.Status != notification.Scheduled {
		t.Fatalf("accepted as %s, want scheduled", n.Status)
	}
	fan := delivery.NewFanoutAt(f.db, f.jobs, testkit.Logger(t), 0, clk.Now)
	if err := fan.Run(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		at  time.Time
		tzs []string
	}{
		{time.Date(2027, 3, 13, 22, 0, 0, 0, time.UTC), []string{"Australia/Sydney"}}, // UTC+11
		{time.Date(2027, 3, 14, 3, 30, 0, 0, time.UTC), []string{"Asia/Kolkata"}},     // UTC+5:30
		{time.Date(2027, 3, 14, 8, 0, 0, 0, time.UTC), []string{"", "Europe/Berlin"}}, // UTC+1
		{time.Date(2027, 3, 14, 13, 0, 0, 0, time.UTC), []string{"America/New_York"}}, // UTC-4 from 14 March
	}
	var dues []string
	for _, ti := range f.scheduled(t, n, "fanout:"+n.ID+"@") {
		dues = append(dues, ti.NextProcessAt.UTC().Format(time.RFC3339))
	}
	var wantDues []string
	for _, w := range want {
		wantDues = append(wantDues, w.at.Format(time.RFC3339))
	}
	slices.Sort(dues)
	if !slices.Equal(dues, wantDues) {
		t.Fatalf("zone fan-outs due %v, want %v", dues, wantDues)
	}
	if got := f.counts(t, n.ID); got.Status != notification.Scheduled || got.Targeted != 0 || got.SendAt == nil || !got.SendAt.Equal(want[0].at) {
		t.Fatalf("after planning: %s, targeted %d, send_at %v", got.Status, got.Targeted, got.SendAt)
	}

	push := &recordingPush{}
	d := f.deliverer(push, clk.Now)
	done := map[string]bool{}
	targeted := 0
	for i, w := range want {
		clk.Set(w.at.Add(-time.Second))
		if err := fan.Run(ctx, n.ID); err != nil {
			t.Fatal(err)
		}
		if got := f.deliverPending(t, d, n, done); len(got) != 0 {
			t.Fatalf("zone %d: %d queued a second before %s", i, len(got), w.at)
		}
		clk.Set(w.at)
		if err := fan.Run(ctx, n.ID); err != nil {
			t.Fatal(err)
		}
		var wantIDs []string
		for _, tz := range w.tzs {
			wantIDs = append(wantIDs, people[tz]...)
			loc := viennaLoc
			if tz != "" {
				loc, _ = time.LoadLocation(tz)
			}
			if local := w.at.In(loc).Format("2006-01-02 15:04"); local != "2027-03-14 09:00" {
				t.Fatalf("%q reached at %s local time", tz, local)
			}
		}
		got := f.deliverPending(t, d, n, done)
		slices.Sort(got)
		slices.Sort(wantIDs)
		if !slices.Equal(got, wantIDs) {
			t.Fatalf("zone %d at %s queued %d subscriptions, want %v's %d", i, w.at, len(got), w.tzs, len(wantIDs))
		}
		targeted += len(wantIDs)
		if st := f.counts(t, n.ID); st.Status == notification.Scheduled || st.Targeted != int64(targeted) {
			t.Fatalf("after zone %d: %s, targeted %d, want sending or completed and %d", i, st.Status, st.Targeted, targeted)
		}
	}
	if got := f.counts(t, n.ID); got.Status != notification.Completed || got.Targeted != 15 || got.Delivered != 15 {
		t.Fatalf("after the last zone: %s, targeted %d delivered %d", got.Status, got.Targeted, got.Delivered)
	}
}

// A zone whose time has passed goes at once, or is skipped with
// skip_if_past (its subscriptions are not targeted).
func TestLocalTimePastZones(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	tokyo, _ := f.addPeople(t, 2, "Asia/Tokyo", "")
	la, _ := f.addPeople(t, 2, "America/Los_Angeles", "")
	clk := &clock{now: time.Date(2027, 6, 1, 6, 0, 0, 0, time.UTC)} // 15:00 in Tokyo, 23:00 (31 May) in Los Angeles
	fan := delivery.NewFanoutAt(f.db, f.jobs, testkit.Logger(t), 0, clk.Now)
	d := f.deliverer(&recordingPush{}, clk.Now)
	for _, skip := range []bool{false, true} {
		n := f.send(t, notification.Request{Target: notification.Target{All: true}, Notification: notification.Content{Title: "x"},
			SendAtLocal: "2027-06-01T09:00:00", SkipIfPast: skip})
		if err := fan.Run(ctx, n.ID); err != nil {
			t.Fatal(err)
		}
		got := f.deliverPending(t, d, n, map[string]bool{})
		slices.Sort(got)
		st := f.counts(t, n.ID)
		plan, _ := st.ZonePlan()
		if skip {
			if len(got) != 0 || st.Status != notification.Scheduled || fmt.Sprint(plan.Skipped) != "[Asia/Tokyo]" || len(plan.Zones) != 1 {
				t.Fatalf("skip_if_past: queued %d, %s, plan %+v", len(got), st.Status, plan)
			}
			continue
		}
		if want := slices.Sorted(slices.Values(tokyo)); !slices.Equal(got, want) || st.Status != notification.Sending || st.Targeted != 2 {
			t.Fatalf("past zone: queued %v (want Tokyo's %v), %s, targeted %d", got, want, st.Status, st.Targeted)
		}
		if len(plan.Zones) != 2 || !plan.Zones[1].At.Equal(time.Date(2027, 6, 1, 16, 0, 0, 0, time.UTC)) || plan.Zones[1].Timezones[0] != "America/Los_Angeles" {
			t.Fatalf("zones %+v", plan.Zones)
		}
	}
	_ = la
}

// deliverPending delivers n's batches queued and not in done, and returns
// their subscriptions.
func (f *fixture) deliverPending(t *testing.T, d *delivery.Deliverer, n *notification.Notification, done map[string]bool) []string {
	t.Helper()
	tasks, err := jobqueue.NewInspector(f.rdb).Pending(jobqueue.QueueFor(n.Priority), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ti := range tasks {
		if done[ti.ID] || !strings.HasPrefix(ti.ID, "deliver:"+n.ID) {
			continue
		}
		done[ti.ID] = true
		b, err := jobqueue.DecodeBatch(ti.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.DeliverBatch(context.Background(), b, n.Priority); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, b.SubscriptionIDs...)
	}
	return ids
}

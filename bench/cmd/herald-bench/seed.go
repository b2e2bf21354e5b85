package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// seed inserts subs as active subscriptions of appID with one COPY into the
// subscriptions table (the bulk path; the API's registration route would
// cost a round trip each). Ids are UUIDv7 like the API's, assigned in a
// shuffled order so that subscriptions of both simulators interleave in the
// broadcast's id-ordered fan-out. Each has attributes for the personalised
// broadcast (attributesOf) and a user with attributes of its own
// (userAttributesOf), copied into user_attributes. It returns Herald's id per subscription.
func seed(ctx context.Context, dbURL, appID string, subs []simSub) ([]string, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	var keyID string
	if err := conn.QueryRow(ctx, "SELECT id FROM vapid_keys WHERE app_id = $1 AND active", appID).Scan(&keyID); err != nil {
		return nil, fmt.Errorf("app's VAPID key: %w", err)
	}
	ids := make([]string, len(subs))
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7()).String()
	}
	rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	now := time.Now().UTC()
	i := 0
	rows := pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(subs) {
			return nil, nil
		}
		s := subs[i]
		row := []any{ids[i], appID, keyID, s.Endpoint, s.Keys.P256dh, s.Keys.Auth, "active", now, now, attributesOf(i), userOf(i)}
		i++
		return row, nil
	})
	cols := []string{"id", "app_id", "vapid_key_id", "endpoint", "p256dh", "auth", "status", "created_at", "updated_at", "attributes", "user_id"}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"subscriptions"}, cols, rows); err != nil {
		return nil, fmt.Errorf("copy subscriptions: %w", err)
	}
	users := (len(subs) + 1) / 2
	u := 0
	userRows := pgx.CopyFromFunc(func() ([]any, error) {
		if u == users {
			return nil, nil
		}
		row := []any{appID, userOf(2 * u), userAttributesOf(u), now}
		u++
		return row, nil
	})
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"user_attributes"}, []string{"app_id", "user_id", "attributes", "updated_at"}, userRows); err != nil {
		return nil, fmt.Errorf("copy user attributes: %w", err)
	}
	if _, err := conn.Exec(ctx, "ANALYZE subscriptions, user_attributes"); err != nil {
		return nil, err
	}
	return ids, nil
}

// notificationState is what the benchmark polls.
type notificationState struct {
	CreatedAt  time.Time
	FanoutDone bool
	Targeted   int64
	Final      int64
	Status     string
	Payload    string
}

func readNotification(ctx context.Context, conn *pgx.Conn, id string) (notificationState, error) {
	var st notificationState
	err := conn.QueryRow(ctx, `SELECT created_at, fanout_done, targeted,
		(SELECT COALESCE(SUM(delivered + gone + dead), 0) FROM notification_counts WHERE notification_id = $1), status, payload
		FROM notifications WHERE id = $1`, id).Scan(&st.CreatedAt, &st.FanoutDone, &st.Targeted, &st.Final, &st.Status, &st.Payload)
	return st, err
}

package subscription

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"github.com/heraldpush/herald/pkg/database"
)

// ImportRow is one validated line of an import and the VAPID key the
// subscription was made with.
type ImportRow struct {
	Valid      *Valid
	VAPIDKeyID string
}

// ImportCounts says what a batch did.
type ImportCounts struct{ Created, Updated int64 }

// ImportReport is what a batch's EventImported says besides its counts:
// the import it is part of (one id per import request) and how many lines
// the import refused since its batch before, so an import's events add up
// to its answer and each commits with the rows it counts.
type ImportReport struct {
	ImportID string
	Refused  int64
}

// Imported is one committed batch of an import, as EventImported tells it.
type Imported struct {
	ImportReport
	ImportCounts
}

// ImportBatch stores rows in one transaction: an endpoint the app does not
// know yet is created, a known one updated as Upsert updates it (keeping
// the VAPID key it was made with; its attributes replaced by a row's
// that has some, kept by one without). The endpoints of rows must differ from
// each other. PostgreSQL gets the rows in one COPY and two statements;
// SQLite (dev mode) one upsert per row inside the transaction. The taps
// are told of the batch (EventImported, with report) in that transaction:
// an import that stops half way has told exactly what it stored.
func (s *Store) ImportBatch(ctx context.Context, appID string, rows []ImportRow, report ImportReport) (ImportCounts, error) {
	if len(rows) == 0 {
		return ImportCounts{}, nil
	}
	now := time.Now().UTC()
	if s.db.Dialect != database.Postgres {
		return s.importEach(ctx, appID, rows, report, now)
	}
	var counts ImportCounts
	// One connection carries database/sql's transaction, which the taps
	// write in through gorm, and pgx's COPY, sent on that connection
	// inside the transaction.
	err := s.db.WithContext(ctx).Connection(func(c *gorm.DB) error {
		conn, ok := c.Statement.ConnPool.(*sql.Conn)
		if !ok {
			return fmt.Errorf("import: connection is %T, not *sql.Conn", c.Statement.ConnPool)
		}
		return c.Transaction(func(tx *gorm.DB) error {
			err := conn.Raw(func(dc any) error {
				pc, ok := dc.(*stdlib.Conn)
				if !ok {
					return fmt.Errorf("import: driver connection is %T, not pgx", dc)
				}
				var err error
				counts, err = copyBatch(ctx, pc.Conn(), appID, rows, now)
				return err
			})
			if err != nil {
				return err
			}
			return s.tellImported(ctx, &database.DB{DB: tx, Dialect: s.db.Dialect}, appID, report, counts, now)
		})
	})
	return counts, err
}

// tellImported tells the taps, in tx, of a batch of an import.
func (s *Store) tellImported(ctx context.Context, tx *database.DB, appID string, r ImportReport, c ImportCounts, now time.Time) error {
	return s.tell(ctx, tx, []Event{{Kind: EventImported, AppID: appID, At: now, Import: &Imported{ImportReport: r, ImportCounts: c}}})
}

func (s *Store) importEach(ctx context.Context, appID string, rows []ImportRow, report ImportReport, now time.Time) (ImportCounts, error) {
	var counts ImportCounts
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		counts = ImportCounts{}
		for _, r := range rows {
			_, created, err := upsertRow(tx, appID, r.VAPIDKeyID, r.Valid, now)
			if err != nil {
				return err
			}
			if created {
				counts.Created++
			} else {
				counts.Updated++
			}
		}
		return s.tellImported(ctx, &database.DB{DB: tx, Dialect: s.db.Dialect}, appID, report, counts, now)
	})
	return counts, err
}

var importColumns = []string{"id", "vapid_key_id", "endpoint", "p256dh", "auth", "user_id", "timezone", "expiration_time", "topics", "attributes"}

// copyBatch copies rows into a temporary table, then upserts them into
// subscriptions and replaces their topics, on conn inside the caller's
// transaction (the table goes at its end).
func copyBatch(ctx context.Context, tx *pgx.Conn, appID string, rows []ImportRow, now time.Time) (ImportCounts, error) {
	var counts ImportCounts
	if _, err := tx.Exec(ctx, `CREATE TEMPORARY TABLE import_rows (
		id UUID NOT NULL, vapid_key_id UUID NOT NULL, endpoint TEXT NOT NULL, p256dh TEXT NOT NULL, auth TEXT NOT NULL,
		user_id TEXT, timezone TEXT NOT NULL, expiration_time TIMESTAMPTZ, topics TEXT[] NOT NULL,
		attributes TEXT) ON COMMIT DROP`); err != nil {
		return counts, fmt.Errorf("import: temporary table: %w", err)
	}
	withTopics, withAttributes := false, false
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"import_rows"}, importColumns, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		v := rows[i].Valid
		keyID, err := uuid.Parse(rows[i].VAPIDKeyID)
		if err != nil {
			return nil, fmt.Errorf("import: VAPID key id: %w", err)
		}
		topics := v.Topics
		if topics == nil {
			topics = []string{}
		}
		withTopics = withTopics || len(topics) > 0
		withAttributes = withAttributes || v.Attributes != nil
		return []any{[16]byte(uuid.Must(uuid.NewV7())), [16]byte(keyID), v.Endpoint, v.P256dh, v.Auth, v.UserID, v.Timezone, v.ExpirationTime, topics, v.Attributes}, nil
	}))
	if err != nil {
		return counts, fmt.Errorf("import: copy: %w", err)
	}
	// xmax is 0 on a row this statement inserted, the updating
	// transaction's id on one it updated.
	err = tx.QueryRow(ctx, `WITH up AS (
		INSERT INTO subscriptions (id, app_id, vapid_key_id, endpoint, p256dh, auth, user_id, timezone, user_agent,
			status, consecutive_failures, expiration_time, created_at, updated_at, attributes)
		SELECT id, $1::uuid, vapid_key_id, endpoint, p256dh, auth, user_id, timezone, '', 'active', 0, expiration_time, $2::timestamptz, $2::timestamptz,
			COALESCE(attributes, '{}')
		FROM import_rows
		ON CONFLICT (app_id, endpoint) DO UPDATE SET p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth,
			user_id = EXCLUDED.user_id, timezone = EXCLUDED.timezone, status = 'active', consecutive_failures = 0,
			unreceived_count = 0, unreceived_since = NULL,
			expiration_time = EXCLUDED.expiration_time, updated_at = EXCLUDED.updated_at
		RETURNING (xmax = 0) AS inserted)
	SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up`, appID, now).
		Scan(&counts.Created, &counts.Updated)
	if err != nil {
		return counts, fmt.Errorf("import: upsert: %w", err)
	}
	// A line with attributes replaces a known subscription's, one without
	// keeps them, as Upsert does: the conflict update above cannot tell
	// the two apart (EXCLUDED holds the coalesced value), this can.
	if withAttributes && counts.Updated > 0 {
		if _, err := tx.Exec(ctx, `UPDATE subscriptions s SET attributes = r.attributes FROM import_rows r
			WHERE s.app_id = $1::uuid AND s.endpoint = r.endpoint AND r.attributes IS NOT NULL AND s.attributes <> r.attributes`, appID); err != nil {
			return counts, fmt.Errorf("import: attributes: %w", err)
		}
	}
	if counts.Updated > 0 { // new rows have no topics to clear
		if _, err := tx.Exec(ctx, `DELETE FROM subscription_topics t USING import_rows r, subscriptions s
			WHERE s.app_id = $1::uuid AND s.endpoint = r.endpoint AND t.subscription_id = s.id`, appID); err != nil {
			return counts, fmt.Errorf("import: clear topics: %w", err)
		}
	}
	if withTopics {
		if _, err := tx.Exec(ctx, `INSERT INTO subscription_topics (subscription_id, app_id, topic)
			SELECT s.id, s.app_id, t.topic FROM import_rows r
			JOIN subscriptions s ON s.app_id = $1::uuid AND s.endpoint = r.endpoint
			CROSS JOIN LATERAL unnest(r.topics) AS t(topic)`, appID); err != nil {
			return counts, fmt.Errorf("import: topics: %w", err)
		}
	}
	return counts, nil
}

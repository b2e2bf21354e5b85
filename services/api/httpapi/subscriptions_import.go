package httpapi

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/subscription"
)

const (
	importBatchSize  = 2000     // rows per COPY and transaction
	importLanes      = 2        // batches stored at once
	maxImportLine    = 64 << 10 // one line; a subscription is well under 8 KiB
	maxRefusalsShown = 1000
	importIdle       = 30 * time.Second // the body may take as long as it likes while it keeps coming
)

// importLine is one line of POST /v1/subscriptions/import: a
// PushSubscription.toJSON() (what a web-push setup stores: endpoint and
// keys) with the optional user_id, topics, timezone and attributes, or the
// body of POST /v1/subscriptions. vapid_public_key names the app's key the
// subscription was made with (default: the active one). id, status and
// created_at are what export writes: id and created_at are ignored, so an
// export imports as it is; status must be active.
type importLine struct {
	Endpoint       string                `json:"endpoint"`
	ExpirationTime *float64              `json:"expirationTime"`
	Keys           *pushKeysJSON         `json:"keys"`
	Subscription   *pushSubscriptionJSON `json:"subscription"`
	UserID         string                `json:"user_id"`
	Topics         []string              `json:"topics"`
	Timezone       string                `json:"timezone"`
	// Attributes replace a known subscription's; absent keeps them, and
	// a null value is no key, as POST /v1/subscriptions does.
	Attributes     map[string]*string `json:"attributes" doc:"replace a known subscription's attributes (absent keeps them); a key whose value is null is not stored"`
	VAPIDPublicKey string             `json:"vapid_public_key"`
	ID             string             `json:"id"`
	Status         string             `json:"status"`
	CreatedAt      string             `json:"created_at"`
}

type importRefusal struct {
	Line    int64  `json:"line"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// importResult answers an import. refused holds the first 1,000 refusals;
// refused_count counts them all. import_id names the import in its
// subscription.imported webhook events.
type importResult struct {
	ImportID     string          `json:"import_id"`
	Created      int64           `json:"created"`
	Updated      int64           `json:"updated"`
	Refused      []importRefusal `json:"refused"`
	RefusedCount int64           `json:"refused_count"`
	Lines        int64           `json:"lines"`
}

var (
	errLineNotUTF8 = fault.Malformed("invalid_utf8", "the line is not valid UTF-8; send NDJSON text in UTF-8")
	errLineTooLong = fault.TooLarge("line_too_long", "a line may hold at most %d bytes; one subscription is far less", maxImportLine)
	errTwoShapes   = fault.Invalid("invalid_subscription",
		"a line holds either a PushSubscription (endpoint, keys) or {\"subscription\": ...}, not both")
	errNotActive = fault.Invalid("status_not_active",
		"only active subscriptions are imported; export with ?status=active to move the live ones")
	errUnknownVAPIDKey = fault.Invalid("unknown_vapid_key",
		"vapid_public_key is none of the app's VAPID keys; import the pair first (POST /v1/apps/{id}/vapid-keys)")
)

// importBatch is validated rows on their way to the store, the number of
// the last line they cover and the lines refused since the batch before
// (told with the batch, so the import's events count each refusal once).
type importBatch struct {
	rows     []subscription.ImportRow
	lastLine int64
	refused  int64
}

// importSubscriptions answers POST /v1/subscriptions/import. It reads the
// body a line at a time, validates each line as POST /v1/subscriptions
// does, and stores valid lines in batches while it reads the next ones, so
// memory holds a few batches whatever the body's size. A refused line
// stores nothing; the others are kept.
func (a *api) importSubscriptions(c *gin.Context) error {
	owner := c.MustGet(ctxApp).(*app.App)
	ctx, cancel := context.WithCancel(c.Request.Context())
	defer cancel()
	keys, err := a.vapidKeysByPublic(ctx, owner.ID)
	if err != nil {
		return err
	}
	body := io.Reader(c.Request.Body)
	if strings.EqualFold(c.GetHeader("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(body)
		if err != nil {
			return fault.Malformed("invalid_gzip", "Content-Encoding is gzip but the body is not: %v", err)
		}
		defer zr.Close()
		body = zr
	}
	rc := http.NewResponseController(c.Writer)
	res := importResult{ImportID: uuid.Must(uuid.NewV7()).String(), Refused: []importRefusal{}}
	// refusedSince counts the refusals no batch has carried yet. The
	// lane of the last valid line always holds a batch at the end, so the
	// last batch carries the refusals after it.
	var refusedSince int64
	refuse := func(line int64, err error) {
		res.RefusedCount++
		refusedSince++
		if len(res.Refused) >= maxRefusalsShown {
			return
		}
		f, _ := fault.As(err)
		if f == nil {
			f = errInternal
		}
		res.Refused = append(res.Refused, importRefusal{Line: line, Code: f.Code, Message: f.Message})
	}

	// Rows go to one of importLanes writers by their endpoint, so the
	// database works on two batches at once while every line of one
	// endpoint still lands in order, in one lane.
	var lanes [importLanes]importLane
	for i := range lanes {
		lanes[i] = importLane{w: a.startImportWriter(ctx, cancel, owner.ID, res.ImportID), seen: make(map[string]bool, importBatchSize)}
	}
	flush := func(l *importLane) {
		if len(l.batch.rows) > 0 {
			l.batch.refused, refusedSince = refusedSince, 0
			l.w.batches <- l.batch
		}
		l.batch = importBatch{rows: make([]subscription.ImportRow, 0, importBatchSize)}
		clear(l.seen)
		_ = rc.SetReadDeadline(time.Now().Add(importIdle))
	}
	_ = rc.SetReadDeadline(time.Now().Add(importIdle))
	readErr := eachLine(body, func(n int64, line []byte, tooLong bool) bool {
		res.Lines = n
		if tooLong {
			refuse(n, errLineTooLong)
			return ctx.Err() == nil
		}
		row, err := a.importRow(line, keys)
		if err != nil {
			refuse(n, err)
			return ctx.Err() == nil
		}
		l := &lanes[laneOf(row.Valid.Endpoint)]
		// One statement cannot upsert an endpoint twice: a repeat waits
		// for the lane's next batch, where it updates the first.
		if l.seen[row.Valid.Endpoint] || len(l.batch.rows) == importBatchSize {
			flush(l)
		}
		l.seen[row.Valid.Endpoint] = true
		l.batch.rows = append(l.batch.rows, row)
		l.batch.lastLine = n
		return ctx.Err() == nil
	})
	var werr error
	storedLine := res.Lines
	for i := range lanes {
		flush(&lanes[i])
		close(lanes[i].w.batches)
	}
	for i := range lanes {
		w := lanes[i].w
		if err := <-w.done; err != nil {
			werr = err
			// Every line of the lane up to storedLine is stored, and
			// so is every line of the others up to the least of them.
			storedLine = min(storedLine, w.storedLine)
		}
		res.Created += w.counts.Created
		res.Updated += w.counts.Updated
	}
	_ = rc.SetWriteDeadline(time.Now().Add(importIdle))
	switch {
	case werr != nil:
		a.Log.Error("import interrupted", "app_id", owner.ID, "import_id", res.ImportID, "stored_through_line", storedLine, "err", werr)
		return fault.Unavailable("import_interrupted",
			"storing failed (import %s): lines up to %d are stored (created %d, updated %d in all); send the lines after it again: importing a line again updates it",
			res.ImportID, storedLine, res.Created, res.Updated)
	case readErr != nil:
		return fault.Malformed("import_read_failed",
			"reading the body failed after line %d (%v); lines up to it were stored (created %d, updated %d, refused %d)",
			res.Lines, readErr, res.Created, res.Updated, res.RefusedCount)
	}
	if res.Created+res.Updated == 0 && res.RefusedCount > 0 {
		first := res.Refused[0]
		return fault.Invalid("nothing_imported",
			"every line was refused (%d), so nothing was stored; line %d: %s: %s", res.RefusedCount, first.Line, first.Code, first.Message)
	}
	a.Log.Info("subscriptions imported", "app_id", owner.ID, "import_id", res.ImportID, "lines", res.Lines, "created", res.Created,
		"updated", res.Updated, "refused", res.RefusedCount)
	c.JSON(http.StatusOK, res)
	return nil
}

// utf8BOM is the byte order mark some Windows tools write at the start of
// a UTF-8 file; it is no part of the text.
var utf8BOM = []byte("\xef\xbb\xbf")

// eachLine calls fn with each non-blank line of r (numbered from 1, blank
// lines counted) until fn returns false; a line longer than maxImportLine
// is skipped with tooLong set. One byte order mark opening r is skipped,
// so a file saved with one imports its first line; anywhere else it is
// the line's, and no JSON.
func eachLine(r io.Reader, fn func(n int64, line []byte, tooLong bool) bool) error {
	br := bufio.NewReaderSize(r, maxImportLine)
	if head, err := br.Peek(len(utf8BOM)); bytes.Equal(head, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	} else if err != nil && !errors.Is(err, io.EOF) {
		return err // a body shorter than a BOM reads on to its end below
	}
	var n int64
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			n++
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if !fn(n, nil, true) {
				return nil
			}
		} else if len(line) > 0 {
			n++
			if line = bytes.TrimSpace(line); len(line) > 0 && !fn(n, line, false) {
				return nil
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// importRow decodes and validates one line as the single route does.
func (a *api) importRow(line []byte, keys vapidKeyIndex) (subscription.ImportRow, error) {
	// As the single route refuses its body: encoding/json would store
	// invalid UTF-8 as U+FFFD, a stray "]" after the object would pass,
	// and a NUL would reach the attributes, which no check below reads for one.
	if !utf8.Valid(line) {
		return subscription.ImportRow{}, errLineNotUTF8
	}
	var l importLine
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return subscription.ImportRow{}, jsonError(err, &l)
	}
	if !onlyValue(dec, line) {
		return subscription.ImportRow{}, fault.Malformed("invalid_json", "a line must hold one JSON object")
	}
	if err := nulError(&l); err != nil {
		return subscription.ImportRow{}, err
	}
	in := subscription.Input{Endpoint: l.Endpoint, ExpirationTime: l.ExpirationTime}
	if l.Keys != nil {
		in.P256dh, in.Auth = l.Keys.P256dh, l.Keys.Auth
	}
	if l.Subscription != nil {
		if l.Endpoint != "" || l.Keys != nil {
			return subscription.ImportRow{}, errTwoShapes
		}
		in = l.Subscription.input()
	}
	if l.Status != "" && l.Status != string(subscription.Active) {
		return subscription.ImportRow{}, errNotActive
	}
	in.UserID, in.Topics, in.Timezone = l.UserID, l.Topics, l.Timezone
	in.Attributes = subscription.ReplacementAttributes(l.Attributes)
	valid, err := subscription.Validate(in, a.Endpoints)
	if err != nil {
		return subscription.ImportRow{}, err
	}
	keyID := keys.active
	if l.VAPIDPublicKey != "" {
		if keyID = keys.byPublic[normalizeBase64URL(l.VAPIDPublicKey)]; keyID == "" {
			return subscription.ImportRow{}, errUnknownVAPIDKey
		}
	}
	return subscription.ImportRow{Valid: valid, VAPIDKeyID: keyID}, nil
}

// vapidKeyIndex finds an app's VAPID keys by public key.
type vapidKeyIndex struct {
	active   string
	byPublic map[string]string
	public   map[string]string // id -> public key
}

func (a *api) vapidKeysByPublic(ctx context.Context, appID string) (vapidKeyIndex, error) {
	keys, err := a.Apps.ListVAPIDKeys(ctx, appID)
	if err != nil {
		return vapidKeyIndex{}, err
	}
	idx := vapidKeyIndex{byPublic: map[string]string{}, public: map[string]string{}}
	for _, k := range keys {
		idx.byPublic[normalizeBase64URL(k.PublicKey)], idx.public[k.ID] = k.ID, k.PublicKey
		if k.Active && idx.active == "" {
			idx.active = k.ID
		}
	}
	return idx, nil
}

// normalizeBase64URL turns standard or padded base64 into unpadded base64url.
func normalizeBase64URL(s string) string {
	return strings.NewReplacer("+", "-", "/", "_", "=", "").Replace(strings.TrimSpace(s))
}

// importLane is a writer and the batch being filled for it.
type importLane struct {
	w     *importWriter
	batch importBatch
	seen  map[string]bool
}

// laneOf picks an endpoint's lane.
func laneOf(endpoint string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(endpoint))
	return int(h.Sum32() % importLanes)
}

// importWriter stores batches as they come; its fields are read after done.
type importWriter struct {
	batches    chan importBatch
	done       chan error
	counts     subscription.ImportCounts
	storedLine int64
}

func (a *api) startImportWriter(ctx context.Context, cancel context.CancelFunc, appID, importID string) *importWriter {
	w := &importWriter{batches: make(chan importBatch, 1), done: make(chan error, 1)}
	go func() {
		var failed error
		for b := range w.batches {
			if failed != nil {
				continue // drain, so the reader never blocks
			}
			n, err := a.Subscriptions.ImportBatch(ctx, appID, b.rows, subscription.ImportReport{ImportID: importID, Refused: b.refused})
			if err != nil {
				failed = err
				cancel()
				continue
			}
			w.counts.Created += n.Created
			w.counts.Updated += n.Updated
			w.storedLine = b.lastLine
		}
		w.done <- failed
	}()
	return w
}

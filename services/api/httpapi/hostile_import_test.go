package httpapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
	"github.com/heraldpush/herald/pkg/textcheck"
	"github.com/heraldpush/herald/pkg/vapid"
)

// hostileImport is one generated body of POST /v1/subscriptions/import:
// what it is, its bytes as sent, its extra headers and, where the mutation
// pins one, the code each named line must be refused with (0: the whole
// request, with that code; "": the line must be taken).
type hostileImport struct {
	name    string
	body    []byte
	headers []string
	refuse  map[int64]string
}

// storedSubscription is what an import line sets on a subscription, as
// the export reads it back from the tables.
type storedSubscription struct {
	P256dh, Auth, UserID, Timezone, Status string
	Topics                                 []string // sorted
	Attributes                             map[string]string
	ExpirationMillis                       float64 // 0: none
}

// Every generated NDJSON import body is answered without a 5xx; a refusal
// of the whole request is a 4xx with a code and a message and changes no
// table; each refused line is named with its number, code and message;
// and the tables hold what the answer says: the lines it took, no more.
func TestHostileImportBodies(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newHostileFixture(t, db)
		// Every case's app has this pair, so a line can name its key.
		pair, err := vapid.Generate()
		if err != nil {
			t.Fatal(err)
		}
		cases := hostileImports(t, pair.PublicKey())
		if len(cases) < 100 {
			t.Fatalf("only %d hostile import bodies generated", len(cases))
		}
		checked := 0
		for i, c := range cases {
			// SQLite (the embedded development store) gets every third
			// body: its import path is the same code but the upsert's, and
			// the whole set on both dialects doubled the package's time.
			if db.Dialect == database.SQLite && i%3 != 0 {
				continue
			}
			checkHostileImport(t, f, pair, c)
			checked++
		}
		t.Logf("%d of %d hostile import bodies", checked, len(cases))
	})
}

// knownEndpoint is the subscription each case's app holds before its
// import, so lines naming it update rather than create.
const knownEndpoint = "https://fcm.googleapis.com/fcm/send/import-known"

// checkHostileImport sends c to an app of its own that holds one known
// subscription, and checks the answer against the body and the tables.
func checkHostileImport(t *testing.T, f *hostileFixture, pair *vapid.KeyPair, c hostileImport) {
	t.Helper()
	newApp := f.admin("POST", "/v1/apps", map[string]any{"name": "import", "vapid_public_key": pair.PublicKey(), "vapid_private_key": pair.PrivateKey()})
	if newApp.status != http.StatusCreated {
		t.Fatalf("app: %d %s", newApp.status, newApp.raw)
	}
	apiKey := newApp.body["api_key"].(string)
	auth := []string{"Authorization", "Bearer " + apiKey}
	known := map[string]any{"subscription": browserSubscription(t, knownEndpoint), "user_id": "known",
		"topics": []string{"old"}, "attributes": map[string]string{"plan": "old"}}
	if r := f.do("POST", "/v1/subscriptions", known, auth...); r.status != http.StatusCreated {
		t.Fatalf("%s: known subscription: %d %s", c.name, r.status, r.raw)
	}
	tablesBefore, before := f.rows(), exportedSubscriptions(t, f, apiKey)
	r := f.importLines(apiKey, c.body, c.headers...)
	tablesAfter, after := f.rows(), exportedSubscriptions(t, f, apiKey)
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s: "+format+"\n(answer %d %.400s)", append([]any{c.name}, append(args, r.status, r.raw)...)...)
	}
	switch {
	case r.status >= 500:
		fail("5xx")
		return
	case r.status >= 400:
		checkImportRefused(fail, c, r, tablesBefore, tablesAfter, before, after)
		return
	case r.status != http.StatusOK:
		fail("status %d, want 200 or a 4xx", r.status)
		return
	}
	if code := c.refuse[0]; code != "" {
		fail("accepted; want the whole request refused with %s", code)
	}
	var res importResult
	if err := json.Unmarshal(r.raw, &res); err != nil {
		fail("answer is not an import result: %v", err)
		return
	}
	lines := importedLines(t, c)
	checkRefusals(fail, c, res, lines)
	if res.RefusedCount > int64(len(res.Refused)) {
		// Past the refusals shown the lines taken are unknown; the
		// counts still have to add up to the rows.
		if int64(len(after)-len(before)) != res.Created {
			fail("created %d, but the app holds %d more subscriptions", res.Created, len(after)-len(before))
		}
		return
	}
	refused := map[int64]bool{}
	for _, x := range res.Refused {
		refused[x.Line] = true
	}
	want, created, updated := expectedImport(t, fail, before, lines, refused)
	if res.Created != created || res.Updated != updated {
		fail("answer says created %d, updated %d; the lines it took create %d, update %d", res.Created, res.Updated, created, updated)
	}
	for ep, got := range after {
		if w, ok := want[ep]; !ok {
			fail("stored %s, which no line it took names", ep)
		} else if fmt.Sprint(got) != fmt.Sprint(w) {
			fail("%s stored as %+v, want %+v", ep, got, w)
		}
	}
	for ep := range want {
		if _, ok := after[ep]; !ok {
			fail("%s is missing", ep)
		}
	}
	for _, table := range hostileTables {
		if table != "subscriptions" && table != "subscription_topics" && table != "apps" && table != "api_keys" &&
			table != "vapid_keys" && tablesAfter[table] != tablesBefore[table] {
			fail("table %s: %d rows before, %d after", table, tablesBefore[table], tablesAfter[table])
		}
	}
}

// importErrorCode is what an error code looks like: stable snake_case.
var importErrorCode = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// checkImportRefused checks a whole-request refusal: a 4xx with a code and
// a message, nothing stored, or, when the body broke off part way, what
// its message says was stored.
func checkImportRefused(fail func(string, ...any), c hostileImport, r response, tablesBefore, tablesAfter map[string]int64,
	before, after map[string]storedSubscription) {
	e, _ := r.body["error"].(map[string]any)
	code, _ := e["code"].(string)
	message, _ := e["message"].(string)
	if !importErrorCode.MatchString(code) || message == "" {
		fail("refused without a JSON error code and message")
	}
	if want := c.refuse[0]; want != "" && want != code {
		fail("refused with %s, want %s", code, want)
	} else if want == "" && len(c.refuse) > 0 && code != "nothing_imported" {
		fail("refused whole with %s; want its lines refused one by one", code)
	}
	if code == "import_read_failed" {
		// The lines read before the body broke are kept, and the
		// message counts them.
		m := regexp.MustCompile(`created (\d+), updated \d+`).FindStringSubmatch(message)
		if m == nil {
			fail("import_read_failed does not say what it stored")
		} else if n, _ := strconv.Atoi(m[1]); n != len(after)-len(before) {
			fail("says it created %d, the app holds %d more subscriptions", n, len(after)-len(before))
		}
		return
	}
	for _, table := range hostileTables {
		if tablesAfter[table] != tablesBefore[table] {
			fail("table %s: %d rows before, %d after a refused request", table, tablesBefore[table], tablesAfter[table])
		}
	}
	if fmt.Sprint(after) != fmt.Sprint(before) {
		fail("a refused request changed subscriptions: %v, then %v", before, after)
	}
}

// numberedLine is a non-blank line of a body, numbered as the import
// numbers them (from 1, blank lines counted).
type numberedLine struct {
	n    int64
	text []byte
}

// importedLines is c's body (inflated when it is gzip) cut into lines.
func importedLines(t *testing.T, c hostileImport) []numberedLine {
	body := c.body
	for i := 0; i+1 < len(c.headers); i += 2 {
		if strings.EqualFold(c.headers[i], "Content-Encoding") && strings.EqualFold(c.headers[i+1], "gzip") {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("%s: accepted, but is not gzip: %v", c.name, err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatalf("%s: accepted, but its gzip breaks: %v", c.name, err)
			}
		}
	}
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")) // one BOM opening the body is no part of line 1
	var out []numberedLine
	for i, line := range bytes.SplitAfter(body, []byte("\n")) {
		if line = bytes.TrimSpace(line); len(line) > 0 {
			out = append(out, numberedLine{n: int64(i + 1), text: line})
		}
	}
	return out
}

// checkRefusals checks each refusal names a non-blank line of the body with
// a code and a message, and the codes c pins.
func checkRefusals(fail func(string, ...any), c hostileImport, res importResult, lines []numberedLine) {
	nonBlank := map[int64]bool{}
	for _, l := range lines {
		nonBlank[l.n] = true
	}
	if last := int64(0); len(lines) > 0 {
		last = lines[len(lines)-1].n
		if res.Lines < last {
			fail("answer counts %d lines; the body's last line is %d", res.Lines, last)
		}
	}
	if int64(len(res.Refused)) > res.RefusedCount || res.RefusedCount > int64(len(lines)) {
		fail("refused_count %d for %d refusals shown, %d lines", res.RefusedCount, len(res.Refused), len(lines))
	}
	got := map[int64]string{}
	for _, x := range res.Refused {
		if !nonBlank[x.Line] || !importErrorCode.MatchString(x.Code) || x.Code == errInternal.Code || x.Message == "" {
			fail("refusal %+v names no line of the body, or lacks its code or message", x)
		}
		got[x.Line] = x.Code
	}
	for line, code := range c.refuse {
		if line > 0 && got[line] != code {
			fail("line %d refused with %q, want %q", line, got[line], code)
		}
	}
}

// expectedImport plays the lines the answer took over before, as the
// import stores them: a line creates its endpoint or replaces its fields
// (attributes only when it has some, those whose value is null left out:
// a JSON merge patch of no attributes). It fails a line the single route
// would refuse: not one JSON object, not UTF-8, or with a NUL in it.
func expectedImport(t *testing.T, fail func(string, ...any), before map[string]storedSubscription, lines []numberedLine,
	refused map[int64]bool) (want map[string]storedSubscription, created, updated int64) {
	want = maps.Clone(before)
	for _, l := range lines {
		if refused[l.n] {
			continue
		}
		var line importLine
		if l.text[0] != '{' || !utf8.Valid(l.text) || !json.Valid(l.text) || json.Unmarshal(l.text, &line) != nil {
			fail("line %d taken, but it is not one JSON object in UTF-8: %.200q", l.n, l.text)
			continue
		}
		if path := textcheck.FindNUL(&line); path != "" {
			fail("line %d taken with a NUL in %s", l.n, path)
		}
		endpoint, keys, expiration := line.Endpoint, line.Keys, line.ExpirationTime
		if line.Subscription != nil {
			endpoint, keys, expiration = line.Subscription.Endpoint, &line.Subscription.Keys, line.Subscription.ExpirationTime
		}
		endpoint = pushendpoint.Canonical(endpoint)
		old, known := want[endpoint]
		if known {
			updated++
		} else {
			created++
			old.Attributes = map[string]string{}
		}
		s := storedSubscription{UserID: line.UserID, Timezone: line.Timezone, Status: "active", Attributes: old.Attributes,
			Topics: sortedUnique(line.Topics)}
		if keys != nil {
			s.P256dh, s.Auth = normalizeBase64URL(keys.P256dh), normalizeBase64URL(keys.Auth)
		}
		if expiration != nil {
			s.ExpirationMillis = float64(int64(*expiration))
		}
		var given struct {
			Attributes map[string]*string `json:"attributes"`
		}
		_ = json.Unmarshal(l.text, &given) // it decoded as an importLine above
		if given.Attributes != nil {
			s.Attributes = map[string]string{}
			for k, v := range given.Attributes {
				if v != nil {
					s.Attributes[k] = *v
				}
			}
		}
		want[endpoint] = s
	}
	return want, created, updated
}

func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// exportedSubscriptions reads the app's subscriptions back through the
// export, by endpoint.
func exportedSubscriptions(t *testing.T, f *hostileFixture, apiKey string) map[string]storedSubscription {
	t.Helper()
	r := f.do("GET", "/v1/subscriptions/export", nil, "Authorization", "Bearer "+apiKey)
	if r.status != http.StatusOK {
		t.Fatalf("export: %d %s", r.status, r.raw)
	}
	out := map[string]storedSubscription{}
	for _, text := range bytes.Split(bytes.TrimSpace(r.raw), []byte("\n")) {
		if len(text) == 0 {
			continue
		}
		var l exportLine
		if err := json.Unmarshal(text, &l); err != nil {
			t.Fatalf("export line %q: %v", text, err)
		}
		s := storedSubscription{P256dh: l.Keys.P256dh, Auth: l.Keys.Auth, Timezone: l.Timezone, Status: l.Status,
			Topics: sortedUnique(l.Topics), Attributes: l.Attributes}
		if l.UserID != nil {
			s.UserID = *l.UserID
		}
		if l.ExpirationTime != nil {
			s.ExpirationMillis = *l.ExpirationTime
		}
		out[l.Endpoint] = s
	}
	return out
}

package httpapi

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// importLineBase are the lines of a valid import body: each shape a line
// may take, user ids, topics, attributes, and the known endpoint
// (checkHostileImport's), which line 4 updates.
func importLineBase(t *testing.T, vapidPublicKey string) []map[string]any {
	sub := func(name string) map[string]any {
		return browserSubscription(t, "https://fcm.googleapis.com/fcm/send/import-"+name)
	}
	line := func(m map[string]any, fields ...any) map[string]any {
		for i := 0; i+1 < len(fields); i += 2 {
			m = with(m, fields[i].(string), fields[i+1])
		}
		return m
	}
	return []map[string]any{
		line(sub("a"), "user_id", "u-a", "topics", []string{"news", "sport"}, "attributes", map[string]any{"first_name": "Ann", "plan": "pro"}),
		{"subscription": sub("b"), "user_id": "u-b", "timezone": "Europe/Paris", "topics": []string{"news"},
			"attributes": map[string]any{"city": "Oslo"}},
		line(sub("c"), "vapid_public_key", vapidPublicKey, "expirationTime", 1893456000000.0, "attributes", map[string]any{}),
		line(browserSubscription(t, knownEndpoint), "user_id", "known-2", "topics", []string{"news"}),
		// As the export writes it.
		line(sub("e"), "id", "0190a000-0000-7000-8000-000000000001", "status", "active", "created_at", "2026-01-01T00:00:00Z",
			"user_id", "u-e", "attributes", map[string]any{"plan": "free"}),
	}
}

// ndjsonBody joins lines with a newline after each.
func ndjsonBody(lines ...[]byte) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		b.Write(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// encodedLines is each base line as JSON (deepCopy: invalid UTF-8 kept raw).
func encodedLines(base []map[string]any) [][]byte {
	out := make([][]byte, len(base))
	for i, l := range base {
		out[i] = deepCopy(l)
	}
	return out
}

// withLine is lines with line n (from 1) replaced by text.
func withLine(lines [][]byte, n int, text []byte) [][]byte {
	out := append([][]byte{}, lines...)
	out[n-1] = text
	return out
}

func gzipped(t *testing.T, b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// wrongValues replace a field to give it the wrong type, or null.
var wrongValues = []any{nil, 1.5, true, "x", []any{}, map[string]any{}, []any{[]any{[]any{"deep"}}}}

// hostileImports derives the hostile bodies from the valid one, in a fixed
// order. A mutation that must refuse a line pins its code; the others only
// have to keep the invariants checkHostileImport checks.
func hostileImports(t *testing.T, vapidPublicKey string) []hostileImport {
	base := importLineBase(t, vapidPublicKey)
	lines := encodedLines(base)
	valid := ndjsonBody(lines...)
	var out []hostileImport
	add := func(name string, body []byte, refuse map[int64]string, headers ...string) {
		out = append(out, hostileImport{name: name, body: body, refuse: refuse, headers: headers})
	}
	one := func(n int64, code string) map[int64]string { return map[int64]string{n: code} }

	add("valid", valid, nil)
	add("empty body", nil, nil)
	add("blank lines only", []byte("\n\n  \r\n\t\n"), nil)
	add("CRLF line ends", bytes.ReplaceAll(valid, []byte("\n"), []byte("\r\n")), nil)
	add("blank lines between", bytes.ReplaceAll(valid, []byte("\n"), []byte("\n\n \n")), nil)
	add("no final newline", bytes.TrimSuffix(valid, []byte("\n")), nil)
	add("CR only between lines", bytes.ReplaceAll(valid, []byte("\n"), []byte("\r")), nil)
	// One BOM opening the body (after gzip) is skipped, so line 1 is taken;
	// a second one is line 1's, as a BOM on any other line is.
	add("BOM first", append([]byte("\xef\xbb\xbf"), valid...), one(1, ""))
	add("BOM first, gzip", gzipped(t, append([]byte("\xef\xbb\xbf"), valid...)), one(1, ""), "Content-Encoding", "gzip")
	add("BOM twice first", append([]byte("\xef\xbb\xbf\xef\xbb\xbf"), valid...), one(1, "invalid_json"))
	add("BOM only", []byte("\xef\xbb\xbf"), nil)
	add("BOM on line 3", ndjsonBody(withLine(lines, 3, append([]byte("\xef\xbb\xbf"), lines[2]...))...), one(3, "invalid_json"))
	add("NUL byte between lines", bytes.Replace(valid, []byte("\n"), []byte("\n\x00\n"), 1), one(2, "invalid_json"))
	for i := 1; i < 8; i++ {
		add(fmt.Sprintf("body cut at %d/8", i), valid[:len(valid)*i/8], nil)
	}
	add("every line twice", append(append([]byte{}, valid...), valid...), nil)
	for n := range lines {
		l := lines[n]
		num := int64(n + 1)
		add(fmt.Sprintf("line %d cut mid-JSON", num), ndjsonBody(withLine(lines, n+1, l[:len(l)/2])...), one(num, "invalid_json"))
		add(fmt.Sprintf("line %d without its last byte", num), ndjsonBody(withLine(lines, n+1, l[:len(l)-1])...), one(num, "invalid_json"))
		add(fmt.Sprintf("line %d in an array", num), ndjsonBody(withLine(lines, n+1, []byte("["+string(l)+"]"))...), one(num, "invalid_json"))
		add(fmt.Sprintf("line %d twice on one line", num), ndjsonBody(withLine(lines, n+1, []byte(string(l)+" "+string(l)))...), one(num, "invalid_json"))
		for _, tail := range []string{"]", "}", ",", "x", "\xff"} {
			add(fmt.Sprintf("line %d then %q", num, tail), ndjsonBody(withLine(lines, n+1, []byte(string(l)+tail))...), one(num, refusedCode([]byte(tail))))
		}
		add(fmt.Sprintf("line %d repeated next", num), ndjsonBody(append(append([][]byte{}, lines[:n+1]...), lines[n:]...)...), nil)
		for i, m := range mutations(base[n]) {
			add(fmt.Sprintf("line %d leaf mutation %d: %.80q", num, i, m), ndjsonBody(withLine(lines, n+1, m.([]byte))...), nil)
		}
	}
	for _, l := range [][]byte{[]byte(`[]`), []byte(`"x"`), []byte(`1`), []byte(`null`), []byte(`true`), []byte(`{}`), []byte(`{"a":`),
		[]byte(`{"endpoint": "` + knownEndpoint + `"}`), []byte("\xff\xfe"), []byte(`{"x":"\ud800"}`)} {
		add(fmt.Sprintf("line 2 is %q", l), ndjsonBody(withLine(lines, 2, l)...), map[int64]string{2: refusedCode(l)})
	}
	out = append(out, wrongTypeImports(base, lines)...)
	out = append(out, limitImports(t, base, lines)...)
	return out
}

// refusedCode is the code a non-subscription line is refused with.
func refusedCode(l []byte) string {
	switch {
	case !utf8.Valid(l):
		return "invalid_utf8"
	case string(l) == `null` || string(l) == `{}`:
		return "invalid_endpoint"
	case string(l) == `{"endpoint": "`+knownEndpoint+`"}`:
		return "invalid_p256dh"
	case string(l) == `{"x":"\ud800"}`:
		return "unknown_field"
	}
	return "invalid_json"
}

// wrongTypeImports set each field of lines 2 and 4 (nested ones included)
// to null and to each wrong type, and add unknown fields. Not line 1: the
// spec check of an accepted body reads its first line, and the import takes
// null for user_id, topics, timezone and attributes as encoding/json does,
// while the spec has them non-null (an attribute's value may be null in
// both: the key is not stored).
func wrongTypeImports(base []map[string]any, lines [][]byte) []hostileImport {
	var out []hostileImport
	var walk func(n int, m map[string]any, path string)
	walk = func(n int, m map[string]any, path string) {
		for _, k := range sortedKeys(m) {
			old := m[k]
			for _, v := range wrongValues {
				m[k] = v
				out = append(out, hostileImport{name: fmt.Sprintf("line %d %s%s = %#v", n+1, path, k, v),
					body: ndjsonBody(withLine(lines, n+1, deepCopy(base[n]))...)})
			}
			m[k] = old
			if inner, ok := old.(map[string]any); ok {
				walk(n, inner, path+k+".")
			}
		}
		if strings.HasSuffix(path, "attributes.") {
			return // any name is an attribute's
		}
		m["topic"] = []any{"x"} // a near miss of topics
		out = append(out, hostileImport{name: fmt.Sprintf("line %d unknown field %stopic", n+1, path),
			body: ndjsonBody(withLine(lines, n+1, deepCopy(base[n]))...), refuse: map[int64]string{int64(n + 1): "unknown_field"}})
		delete(m, "topic")
	}
	for _, n := range []int{1, 3} {
		walk(n, base[n], "")
	}
	return out
}

// limitImports are lines at and past the limits: the line's length,
// attributes, topics; endpoints repeated within and across batches; more
// refusals than the answer shows; and gzip, declared or not.
func limitImports(t *testing.T, base []map[string]any, lines [][]byte) []hostileImport {
	var out []hostileImport
	add := func(name string, refuse map[int64]string, body []byte, headers ...string) {
		out = append(out, hostileImport{name: name, body: body, refuse: refuse, headers: headers})
	}
	// padded is line 1 grown with spaces before its closing brace to
	// size bytes: valid JSON whatever its length.
	padded := func(size int) []byte {
		l := lines[0]
		return append(append(append([]byte{}, l[:len(l)-1]...), bytes.Repeat([]byte(" "), size-len(l))...), '}')
	}
	add("line 1 at the line limit", nil, ndjsonBody(withLine(lines, 1, padded(maxImportLine-1))...))
	add("line 1 one byte past the line limit", map[int64]string{1: "line_too_long"}, ndjsonBody(withLine(lines, 1, padded(maxImportLine))...))
	add("line 3 of 3 MiB", map[int64]string{3: "line_too_long"}, ndjsonBody(withLine(lines, 3, bytes.Repeat([]byte("x"), 3<<20))...))
	add("last line past the limit, no newline", map[int64]string{6: "line_too_long"}, append(ndjsonBody(lines...), padded(maxImportLine+10)...))
	// Past encoding/json's 10,000 levels, within the line limit.
	add("line 2 objects nested 10,500 deep", map[int64]string{2: "invalid_json"},
		ndjsonBody(withLine(lines, 2, []byte(`{"attributes": `+strings.Repeat(`{"a":`, 10500)+strings.Repeat("}", 10501)))...))
	add("line 2 arrays nested 11,000 deep", map[int64]string{2: "invalid_json"},
		ndjsonBody(withLine(lines, 2, []byte(`{"attributes": `+strings.Repeat(`[`, 11000)+strings.Repeat("]", 11000)+"}"))...))
	add("line 2 of 60,000 brackets", map[int64]string{2: "invalid_json"}, ndjsonBody(withLine(lines, 2, bytes.Repeat([]byte("["), 60000))...))

	attrs := func(n, size int) map[string]any {
		m := map[string]any{}
		for i := range n {
			m[fmt.Sprintf("k%d", i)] = strings.Repeat("v", size)
		}
		return m
	}
	topics := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("t%d", i)
		}
		return out
	}
	lineWith := func(k string, v any) [][]byte { return withLine(lines, 1, deepCopy(with(base[0], k, v))) }
	for _, c := range []struct {
		name  string
		key   string
		value any
		code  string // "" when the line is taken
	}{
		{"64 attributes", "attributes", attrs(64, 10), ""},
		{"65 attributes", "attributes", attrs(65, 1), "invalid_attributes"},
		{"attribute of 500 characters", "attributes", map[string]any{"a": strings.Repeat("é", 500)}, ""},
		{"attribute of 501 characters", "attributes", map[string]any{"a": strings.Repeat("é", 501)}, "invalid_attributes"},
		{"attributes past 8 KiB as JSON", "attributes", attrs(20, 450), "invalid_attributes"},
		// 1,500 bytes in the line, 9,000 stored: < is kept as \u003c.
		{"attributes escaped past 8 KiB", "attributes", map[string]any{"a": strings.Repeat("<", 499), "b": strings.Repeat("<", 499),
			"c": strings.Repeat("<", 499)}, "invalid_attributes"},
		{"attribute named with a space", "attributes", map[string]any{"first name": "x"}, "invalid_attributes"},
		{"attribute named empty", "attributes", map[string]any{"": "x"}, "invalid_attributes"},
		{"attribute named with a digit first", "attributes", map[string]any{"1a": "x"}, "invalid_attributes"},
		{"attribute a number", "attributes", map[string]any{"a": 1}, "invalid_json"},
		{"attribute an object", "attributes", map[string]any{"a": map[string]any{"b": "c"}}, "invalid_json"},
		{"attribute with NUL", "attributes", map[string]any{"a": "x\x00y"}, "invalid_text"},
		{"attribute not UTF-8", "attributes", map[string]any{"a": "caf\xe9"}, "invalid_utf8"},
		{"64 topics", "topics", topics(64), ""},
		{"65 topics", "topics", topics(65), "invalid_topics"},
		{"topics repeated", "topics", []string{"news", "news", "sport", "news"}, ""},
		{"topic of 101 characters", "topics", []string{strings.Repeat("t", 101)}, "invalid_topics"},
		{"user_id of 257 characters", "user_id", strings.Repeat("u", 257), "invalid_user_id"},
		{"user_id not UTF-8", "user_id", "caf\xe9", "invalid_utf8"},
		{"status gone", "status", "gone", "status_not_active"},
		{"another app's VAPID key", "vapid_public_key", b64(make([]byte, 65)), "unknown_vapid_key"},
		{"both shapes", "subscription", map[string]any{"endpoint": base[0]["endpoint"], "keys": base[0]["keys"]}, "invalid_subscription"},
		{"endpoint not allowed", "endpoint", "https://evil.example/push", "endpoint_not_allowed"},
		{"endpoint spelled with a capital host", "endpoint", "https://FCM.googleapis.com/fcm/send/import-a", ""},
	} {
		var refuse map[int64]string
		if c.code != "" {
			refuse = map[int64]string{1: c.code}
		}
		add("line 1 "+c.name, refuse, ndjsonBody(lineWith(c.key, c.value)...))
	}
	// encoding/json reads a lone surrogate as U+FFFD, as the single route does.
	add("line 1 attribute a lone surrogate", nil, ndjsonBody(withLine(lines, 1, bytes.Replace(lines[0], []byte(`"Ann"`), []byte(`"\ud800"`), 1))...))
	// The same endpoint in one lane's batch waits for the next batch;
	// across importBatchSize lines it spans batches.
	dup := deepCopy(merge(base[0], "user_id", "u-a-again"))
	add("endpoint again with another user", nil, ndjsonBody(append(append([][]byte{}, lines...), dup)...))
	many := append([][]byte{}, lines...)
	for i := range importBatchSize + 5 {
		many = append(many, deepCopy(merge(base[0], "endpoint", fmt.Sprintf("https://fcm.googleapis.com/fcm/send/many-%d", i%(importBatchSize-3)))))
	}
	add("more lines than a batch, endpoints repeated", nil, ndjsonBody(many...))
	refusals := append([][]byte{}, lines...)
	for range maxRefusalsShown + 20 {
		refusals = append(refusals, []byte(`{"endpoint": 1}`))
	}
	add("more refusals than shown", nil, ndjsonBody(refusals...))

	valid := ndjsonBody(lines...)
	zipped := gzipped(t, valid)
	add("gzip", nil, zipped, "Content-Encoding", "gzip")
	add("gzip spelled GZIP", nil, zipped, "Content-Encoding", "GZIP")
	add("gzip declared, body plain", map[int64]string{0: "invalid_gzip"}, valid, "Content-Encoding", "gzip")
	add("gzip declared, body empty", map[int64]string{0: "invalid_gzip"}, nil, "Content-Encoding", "gzip")
	add("gzip cut short", nil, zipped[:len(zipped)-12], "Content-Encoding", "gzip")
	add("gzip with its checksum wrong", nil, append(append([]byte{}, zipped[:len(zipped)-8]...), 0, 0, 0, 0, 0, 0, 0, 0), "Content-Encoding", "gzip")
	add("gzip of gzip", nil, gzipped(t, zipped), "Content-Encoding", "gzip")
	add("gzip of lines with a refusal", map[int64]string{2: "invalid_json"}, gzipped(t, ndjsonBody(withLine(lines, 2, []byte(`{"a":`))...)),
		"Content-Encoding", "gzip")
	return out
}

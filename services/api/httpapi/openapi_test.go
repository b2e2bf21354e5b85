package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/metrics"
)

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

// served loads /openapi.json as a client would, through kin-openapi.
func served(t testing.TB) routers.Router {
	t.Helper()
	specOnce.Do(func() {
		h, err := New(Deps{Log: slog.New(slog.DiscardHandler), Metrics: metrics.NewRegistry()})
		if err != nil {
			specErr = err
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
		doc, err := openapi3.NewLoader().LoadFromData(rec.Body.Bytes())
		if err != nil {
			specErr = err
			return
		}
		if specErr = doc.Validate(context.Background()); specErr != nil {
			return
		}
		specRouter, specErr = legacy.NewRouter(doc)
		openapi3filter.RegisterBodyDecoder("application/x-ndjson", firstLineDecoder)
		for _, t := range []string{"text/plain", "text/javascript", "text/html", "text/css", "*/*"} {
			openapi3filter.RegisterBodyDecoder(t, openapi3filter.FileBodyDecoder)
		}
	})
	if specErr != nil {
		t.Fatalf("/openapi.json: %v", specErr)
	}
	return specRouter
}

// importRefusedLines reports an import answer that refused lines or took
// none: the import takes what it can of a body, so the answer, not the
// spec, says which lines were wrong, and the first may be one of them.
func importRefusedLines(rec *httptest.ResponseRecorder) bool {
	var res struct {
		ImportID         string `json:"import_id"`
		Created, Updated int64
		RefusedCount     int64 `json:"refused_count"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &res) != nil || res.ImportID == "" {
		return false
	}
	return res.RefusedCount > 0 || res.Created+res.Updated == 0
}

// firstLineDecoder checks an NDJSON body by its first line, read as the
// import reads it: after one byte order mark opening the body.
func firstLineDecoder(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	line, err := bufio.NewReader(body).ReadBytes('\n')
	if err != nil && len(line) == 0 {
		return nil, err
	}
	var v any
	return v, json.Unmarshal(bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")), &v)
}

// The description and the router name the same routes: a route added
// without documentation fails here, and so does documentation of a route
// that does not exist.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	t.Parallel()
	served(t)
	h, err := New(Deps{Log: slog.New(slog.DiscardHandler), Metrics: metrics.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, r := range routes() {
		documented[r.method+" "+r.path] = true
	}
	for _, r := range h.(*gin.Engine).Routes() {
		key := r.Method + " " + r.Path
		if !documented[key] {
			t.Errorf("%s is not in /openapi.json: add it to routes() in openapi_routes.go", key)
		}
		delete(documented, key)
	}
	for key := range documented {
		t.Errorf("/openapi.json documents %s, which the router does not have", key)
	}
}

// Every error code the code base declares is in the description.
func TestOpenAPINamesEveryErrorCode(t *testing.T) {
	t.Parallel()
	declared := regexp.MustCompile(`fault\.(?:Invalid|Malformed|NotFound|Unauthorized|Forbidden|TooLarge|Conflict|Unavailable|RateLimited)\(\s*"([a-z0-9_]+)"|Code:\s+"([a-z0-9_]+)"|fault\.New\([^,]+,\s*"([a-z0-9_]+)"`)
	found := 0
	for _, dir := range []string{"../../../pkg", "."} {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "testkit") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range declared.FindAllStringSubmatch(string(src), -1) {
				code := m[1] + m[2] + m[3]
				found++
				if !slices.Contains(errorCodes, code) {
					t.Errorf("%s declares error code %q, which errorCodes (openapi_errors.go) lacks", path, code)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if found < 50 {
		t.Fatalf("found only %d error codes: did the sources move?", found)
	}
}

// validating checks every exchange of a test against /openapi.json: each
// request that succeeded conforms to its operation, and each response (an
// error too) to what the operation documents.
func validating(t *testing.T, next http.Handler) http.Handler {
	router := served(t)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		check := r.Clone(context.Background()) // handlers may rewrite r's path
		check.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())

		route, params, err := router.FindRoute(check)
		if err != nil {
			if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed && r.Method != "OPTIONS" {
				t.Errorf("%s %s (answered %d) matches no documented operation: %v", r.Method, r.URL.Path, rec.Code, err)
			}
			return
		}
		opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}
		in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route, Options: opts}
		if rec.Code < 300 && r.Header.Get("Content-Encoding") == "" && !importRefusedLines(rec) {
			if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
				t.Errorf("request %s %s does not conform to /openapi.json: %v", r.Method, r.URL.Path, err)
			}
		}
		if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && rec.Code < 400 {
			return // pages, scripts and streams: their schemas are not JSON's
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code, Header: rec.Header(), Options: opts}
		out.SetBodyBytes(rec.Body.Bytes())
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Errorf("response %d to %s %s does not conform to /openapi.json: %v\nbody: %.500s", rec.Code, r.Method, r.URL.Path, err, rec.Body.Bytes())
		}
	})
}

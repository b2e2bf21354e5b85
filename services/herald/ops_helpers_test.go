package main

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/pushsim"
)

// startOpsPipeline is startPipeline with a configurable simulator, few
// attempts and little concurrency; it also returns the worker's health and
// metrics URL.
func startOpsPipeline(t *testing.T, simCfg pushsim.Config) (*pipeline, string) {
	t.Helper()
	p := startPipelineWith(t, simCfg, map[string]string{
		"HERALD_DELIVERY_MAX_ATTEMPTS": "2",
		"HERALD_WORKER_CONCURRENCY":    "16",
	})
	return p, p.workerURL
}

// scrape reads a /metrics page into "name{labels}" -> value, labels as
// exposed (sorted by name).
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

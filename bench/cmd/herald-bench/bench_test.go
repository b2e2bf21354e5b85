package main

import (
	"os"
	"testing"
)

func TestSummarize(t *testing.T) {
	ms := make([]float64, 100)
	for i := range ms {
		ms[i] = float64(100 - i)
	}
	got := summarize(ms)
	if got.N != 100 || got.P50 != 51 || got.P95 != 96 || got.P99 != 100 || got.Max != 100 {
		t.Fatalf("summarize = %+v", got)
	}
	if (summarize(nil) != latencies{}) {
		t.Fatal("empty summary not zero")
	}
}

func TestProcReaders(t *testing.T) {
	if _, err := cpuSeconds(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	rss, err := peakRSS(os.Getpid())
	if err != nil || rss <= 0 {
		t.Fatalf("peakRSS = %d, %v", rss, err)
	}
}

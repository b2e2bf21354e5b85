package envconf

import (
	"strings"
	"testing"
)

func TestBool(t *testing.T) {
	r := FromMap(map[string]string{"A": "false", "B": "1", "C": "maybe", "D": " "})
	if r.Bool("A", true) || !r.Bool("B", false) || !r.Bool("UNSET", true) || r.Bool("D", false) {
		t.Fatal("Bool read the wrong values")
	}
	if r.Err() != nil {
		t.Fatalf("valid values failed: %v", r.Err())
	}
	if !r.Bool("C", true) {
		t.Fatal("an invalid value did not fall back to the default")
	}
	if err := r.Err(); err == nil || !strings.Contains(err.Error(), `C: "maybe" is not true or false`) {
		t.Fatalf("Err = %v", err)
	}
}

package listing

import (
	"errors"
	"strconv"
	"testing"
)

func TestParsePage(t *testing.T) {
	if p, err := ParsePage("", "x"); err != nil || p.Limit != DefaultLimit || p.After != "x" {
		t.Fatalf("default: %+v %v", p, err)
	}
	if p, err := ParsePage("1000", ""); err != nil || p.Limit != 1000 || p.Fetch() != 1001 {
		t.Fatalf("max: %+v %v", p, err)
	}
	for _, bad := range []string{"0", "-1", "1001", "ten", "1.5"} {
		if _, err := ParsePage(bad, ""); !errors.Is(err, ErrInvalidLimit) {
			t.Errorf("limit %q: %v", bad, err)
		}
	}
}

func TestTrim(t *testing.T) {
	key := func(i int) string { return strconv.Itoa(i) }
	p := Page{Limit: 2}
	if rows, next := Trim([]int{1, 2, 3}, p, key); len(rows) != 2 || next != "2" {
		t.Fatalf("more: %v %q", rows, next)
	}
	if rows, next := Trim([]int{1, 2}, p, key); len(rows) != 2 || next != "" {
		t.Fatalf("exactly a page: %v %q", rows, next)
	}
	if rows, next := Trim[int](nil, p, key); rows == nil || len(rows) != 0 || next != "" {
		t.Fatalf("none: %v %q", rows, next)
	}
}

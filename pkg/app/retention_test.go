package app

import (
	"errors"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/fault"
)

func TestRetentionSetting(t *testing.T) {
	good := Retention{Notifications: "30d", DeadLetters: "36h"}
	if err := (Settings{Retention: &good}).Validate(); err != nil {
		t.Fatal(err)
	}
	if n, d := good.Periods(); n != 30*24*time.Hour || d != 36*time.Hour {
		t.Fatalf("periods %s %s", n, d)
	}
	for _, bad := range []Retention{{Notifications: "5m"}, {DeadLetters: "a week"}, {Notifications: "-3d"}} {
		err := (Settings{Retention: &bad}).Validate()
		var f *fault.Error
		if !errors.As(err, &f) || f.Code != "invalid_retention" {
			t.Errorf("%+v: %v, want invalid_retention", bad, err)
		}
	}
}

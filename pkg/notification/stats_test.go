package notification

import (
	"testing"
	"time"
)

func TestUUIDFloorOrdersLikeUUIDv7(t *testing.T) {
	at := time.UnixMilli(0x0123456789ab)
	if got := uuidFloor(at); got != "01234567-89ab-7000-8000-000000000000" {
		t.Fatal(got)
	}
}

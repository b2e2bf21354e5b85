package database

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestIDFloorOrdersLikeUUIDv7(t *testing.T) {
	at := time.UnixMilli(0x0123456789ab)
	if got := IDFloor(at); got != "01234567-89ab-7000-8000-000000000000" {
		t.Fatal(got)
	}
	now := time.Now()
	id := uuid.Must(uuid.NewV7()).String()
	if !(IDFloor(now.Add(-time.Second)) < id && id < IDFloor(now.Add(time.Second))) {
		t.Fatalf("%s not between the floors of a second around its creation", id)
	}
}

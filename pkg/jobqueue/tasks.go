package jobqueue

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/heraldpush/herald/pkg/delivery"
	heraldv1 "github.com/heraldpush/herald/proto/herald/v1"
)

// Task types; the version lets old and new workers coexist (see jobs.proto).
const (
	TypeFanout  = "herald:v1:fanout"
	TypeDeliver = "herald:v1:deliver"
)

// ErrBadPayload marks a task payload that does not decode: running the
// task again cannot help.
var ErrBadPayload = errors.New("jobqueue: task payload does not decode")

func encodeBatch(b delivery.Batch) ([]byte, error) {
	return proto.Marshal(&heraldv1.DeliveryBatch{
		NotificationId: b.NotificationID, AppId: b.AppID, SubscriptionIds: b.SubscriptionIDs,
		BatchSeq: uint32(b.Seq), Attempt: uint32(b.Attempt),
	})
}

// DecodeBatch reads a delivery task's payload.
func DecodeBatch(payload []byte) (delivery.Batch, error) {
	var b heraldv1.DeliveryBatch
	if err := proto.Unmarshal(payload, &b); err != nil {
		return delivery.Batch{}, fmt.Errorf("decode delivery batch: %v: %w", err, ErrBadPayload)
	}
	return delivery.Batch{NotificationID: b.NotificationId, AppID: b.AppId, SubscriptionIDs: b.SubscriptionIds,
		Seq: int(b.BatchSeq), Attempt: int(b.Attempt)}, nil
}

// DecodeFanout reads a fan-out task's payload: the notification's id.
func DecodeFanout(payload []byte) (notificationID string, err error) {
	var job heraldv1.FanoutJob
	if err := proto.Unmarshal(payload, &job); err != nil {
		return "", fmt.Errorf("decode fan-out job: %v: %w", err, ErrBadPayload)
	}
	return job.NotificationId, nil
}

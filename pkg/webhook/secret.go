package webhook

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/heraldpush/herald/pkg/masterkey"
)

// secretPrefix marks a Standard Webhooks signing secret: base64 after it.
const secretPrefix = "whsec_"

// secretBytes is the secret's length: the specification asks for 24 to 64.
const secretBytes = 32

// RotationOverlap is how long the previous secret keeps signing after a
// rotation, so receivers can switch without dropping a request.
const RotationOverlap = 24 * time.Hour

func newSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhook secret: %w", err)
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// sealer seals secrets to their endpoint with the master key.
type sealer struct{ key masterkey.Key }

func (s sealer) seal(endpointID, secret string) ([]byte, error) {
	return s.key.Seal([]byte(secret), []byte("webhook-secret:"+endpointID))
}

func (s sealer) open(endpointID string, sealed []byte) (string, error) {
	b, err := s.key.Open(sealed, []byte("webhook-secret:"+endpointID))
	if err != nil {
		return "", fmt.Errorf("open webhook secret of %s: %w", endpointID, err)
	}
	return string(b), nil
}

// signers are the secrets an endpoint's requests are signed with now: its
// secret and, during a rotation's overlap, the previous one.
func (s sealer) signers(e *Endpoint, now time.Time) ([]*standardwebhooks.Webhook, error) {
	sealed := [][]byte{e.SecretSealed}
	if e.PreviousSecretSealed != nil && e.PreviousSecretUntil != nil && now.Before(*e.PreviousSecretUntil) {
		sealed = append(sealed, e.PreviousSecretSealed)
	}
	out := make([]*standardwebhooks.Webhook, 0, len(sealed))
	for _, b := range sealed {
		secret, err := s.open(e.ID, b)
		if err != nil {
			return nil, err
		}
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			return nil, fmt.Errorf("webhook secret of %s: %w", e.ID, err)
		}
		out = append(out, wh)
	}
	return out, nil
}

// sign returns the webhook-signature header: one v1 signature per signer,
// space-separated, as the specification lets a receiver accept any.
func sign(signers []*standardwebhooks.Webhook, msgID string, at time.Time, payload []byte) (string, error) {
	sigs := make([]string, 0, len(signers))
	for _, wh := range signers {
		sig, err := wh.Sign(msgID, at, payload)
		if err != nil {
			return "", fmt.Errorf("sign webhook: %w", err)
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}

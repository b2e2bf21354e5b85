package pushsend

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/vapid"
)

// Message is one push to one subscription.
type Message struct {
	Endpoint string // subscription endpoint URL
	P256dh   string // subscription public key, base64url
	Auth     string // subscription auth secret, base64url
	// Key is the VAPID key the subscription was made with.
	Key *vapid.KeyPair
	// Subject is the VAPID "sub" claim when the subscription's app names its
	// own (its vapid_subject, checked against Apple's rules when set); ""
	// is the Sender's (HERALD_VAPID_SUBJECT).
	Subject string
	// Payload is the plaintext; it may be shared between goroutines and is
	// never written to.
	Payload []byte
	TTL     int    // seconds the push service keeps the message; negative means 0
	Urgency string // "", very-low, low, normal or high
	Topic   string // "" or up to 32 base64url characters
	// Turn, if set, is taken for the encryption (Herald's own path): the
	// worker's send scheduler hands out a few at a time.
	Turn Turns
}

// Turns rations the CPU between encryptions. Encryption is CPU-bound:
// hundreds at once only lengthen the scheduler's run queue, and everything
// else the process does (urgent sends, database round trips) waits behind
// them.
type Turns interface {
	Take(ctx context.Context) error // waits for a turn or for ctx to end
	Give()                          // ends a turn Take gave
}

// Sender delivers messages; it is safe for concurrent use.
type Sender struct {
	client     *http.Client
	policy     *pushendpoint.Policy
	subject    string
	subscriber string // subject as webpush-go must be given it
	timeout    time.Duration
	tokenTTL   time.Duration
	webpushGo  bool     // encrypt and post through webpush-go
	keys       sync.Map // VAPID public key and subject -> *keyEntry
}

// keyEntry is what each send needs from a VAPID key and subject, prepared
// once.
type keyEntry struct {
	signer     *vapid.Signer
	public     string
	private    string
	subscriber string // the subject as webpush-go must be given it
}

// NewSender builds a Sender and, unless cfg.Client is set, its client.
func NewSender(cfg Config) (*Sender, error) {
	cfg = cfg.withDefaults()
	if err := vapid.CheckSubjectSyntax(cfg.Subject); err != nil {
		return nil, fmt.Errorf("pushsend: %w", err)
	}
	if cfg.TokenTTL != 0 {
		if err := vapid.CheckTTL(cfg.TokenTTL); err != nil {
			return nil, fmt.Errorf("pushsend: %w", err)
		}
	}
	client := cfg.Client
	if client == nil {
		client = NewClient(cfg)
	}
	return &Sender{
		client:     client,
		policy:     cfg.Endpoints,
		subject:    cfg.Subject,
		subscriber: webpushSubscriber(cfg.Subject),
		timeout:    cfg.Timeout,
		tokenTTL:   cfg.TokenTTL,
		webpushGo:  cfg.WebpushGo,
	}, nil
}

// Client is the HTTP client the Sender posts through.
func (s *Sender) Client() *http.Client { return s.client }

// Send delivers m once and says what to do next; it never retries itself.
func (s *Sender) Send(ctx context.Context, m Message) Result {
	start := time.Now()
	r := s.send(ctx, &m, start)
	r.Duration = time.Since(start)
	return r
}

func (s *Sender) send(ctx context.Context, m *Message, now time.Time) Result {
	// Re-checked per send: the policy may have changed since subscribe time.
	u, err := s.policy.Check(m.Endpoint)
	if err != nil {
		return Result{Outcome: Failed, Err: fmt.Errorf("pushsend: %w", err)}
	}
	r := Result{Service: pushendpoint.Classify(u)}
	if err := validate(m); err != nil {
		return r.fail(err)
	}
	rules := RulesFor(r.Service)
	rules.apply(m)
	k, err := s.key(m.Key, m.Subject)
	if err != nil {
		return r.fail(err)
	}
	authorization, err := k.signer.Authorization(pushendpoint.Origin(u), now)
	if err != nil {
		return r.fail(fmt.Errorf("pushsend: %w", err))
	}

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var resp *http.Response
	var sent bool
	if s.webpushGo {
		resp, sent, err = post(ctx, s.client, k, k.subscriber, authorization, rules, m)
	} else {
		resp, sent, err = postOwn(ctx, s.client, authorization, rules, m)
	}
	switch {
	case err == nil:
		finish(resp, time.Now(), &r)
		rules.explain(&r, m)
		return r
	case !sent:
		// Encryption failed before posting: the subscription keys are unusable.
		return r.fail(fmt.Errorf("%w: encrypt: %w", ErrInvalidMessage, err))
	case errors.Is(err, pushendpoint.ErrForbiddenAddress):
		return r.fail(fmt.Errorf("pushsend: %w", err))
	}
	r.Outcome, r.Err = Retry, fmt.Errorf("pushsend: %w", err)
	return r
}

func (r Result) fail(err error) Result {
	r.Outcome, r.Err = Failed, err
	return r
}

// key returns the cached signer and encodings for kp signing as subject
// ("" for the Sender's); the first concurrent callers may each build one,
// and one wins.
func (s *Sender) key(kp *vapid.KeyPair, subject string) (*keyEntry, error) {
	pub := kp.PublicKey()
	cacheKey, subscriber := pub, s.subscriber
	if subject == "" || subject == s.subject {
		subject = s.subject
	} else {
		cacheKey, subscriber = pub+" "+subject, webpushSubscriber(subject)
	}
	if v, ok := s.keys.Load(cacheKey); ok {
		return v.(*keyEntry), nil
	}
	signer, err := vapid.NewSigner(kp, subject, s.tokenTTL)
	if err != nil {
		return nil, fmt.Errorf("pushsend: %w", err)
	}
	v, _ := s.keys.LoadOrStore(cacheKey, &keyEntry{signer: signer, public: pub, private: kp.PrivateKey(), subscriber: subscriber})
	return v.(*keyEntry), nil
}

// validate rejects what webpush-go would mangle silently or the push
// service would refuse anyway.
func validate(m *Message) error {
	if m.Key == nil {
		return fmt.Errorf("%w: no VAPID key", ErrInvalidMessage)
	}
	if len(m.Payload) > MaxPlaintext() {
		return &PayloadTooLargeError{Size: len(m.Payload), Max: MaxPlaintext()}
	}
	if m.TTL < 0 {
		m.TTL = 0 // m is Send's copy
	}
	switch m.Urgency {
	case "", "very-low", "low", "normal", "high":
	default:
		// webpush-go would drop it and send at normal priority.
		return fmt.Errorf("%w: urgency %q is not very-low, low, normal or high", ErrInvalidMessage, m.Urgency)
	}
	if !ValidTopic(m.Topic) {
		return fmt.Errorf("%w: topic must be at most %d base64url characters", ErrInvalidMessage, MaxTopicLength)
	}
	return nil
}

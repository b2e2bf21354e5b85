package pushsim

import "sync"

// shardCount spreads subscriptions over this many independently locked maps
// so thousands of concurrent pushes rarely wait on each other.
const shardCount = 256

// record is one minted subscription. Key material and behavior never change
// after minting and are read without locking; everything below mu is the
// subscription's history.
type record struct {
	id           string
	priv         [32]byte // P-256 scalar; the public key is re-derived when needed (keeps 1M subscriptions small)
	auth         [16]byte
	appServerKey []byte // raw 65-byte point, nil when minted without one
	behavior     Behavior
	createdAt    int64 // unix nanos; times are int64 here to keep 1M records small

	mu             sync.Mutex
	received       int64 // every request to this endpoint
	attempts       int64 // requests that passed validation; drives the behavior
	delivered      int64
	goneAt         int64    // unix nanos of the first 404/410 answer, 0 if none
	retryNotBefore int64    // unix nanos of the last 429 answer + Retry-After, 0 if none
	history        *history // only with KeepPayloads
}

// history is a subscription's log, kept only with KeepPayloads.
type history struct {
	attempts   []Attempt
	deliveries []Delivery
}

func (r *record) clearHistory() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.received, r.attempts, r.delivered = 0, 0, 0
	r.goneAt, r.retryNotBefore = 0, 0
	r.history = nil
}

type shard struct {
	mu sync.RWMutex
	m  map[string]*record
}

// store maps subscription ids to records.
type store struct {
	shards [shardCount]shard
}

func newStore() *store {
	s := &store{}
	for i := range s.shards {
		s.shards[i].m = make(map[string]*record)
	}
	return s
}

func (s *store) shardFor(id string) *shard {
	// FNV-1a, inlined to avoid allocating a hash.Hash per lookup.
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return &s.shards[h%shardCount]
}

func (s *store) get(id string) (*record, bool) {
	sh := s.shardFor(id)
	sh.mu.RLock()
	r, ok := sh.m[id]
	sh.mu.RUnlock()
	return r, ok
}

func (s *store) put(r *record) {
	sh := s.shardFor(r.id)
	sh.mu.Lock()
	sh.m[r.id] = r
	sh.mu.Unlock()
}

func (s *store) count() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}

// each calls fn for every record; fn must not call back into the store.
func (s *store) each(fn func(*record)) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		for _, r := range sh.m {
			fn(r)
		}
		sh.mu.RUnlock()
	}
}

func (s *store) clear() {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.m = make(map[string]*record)
		sh.mu.Unlock()
	}
}

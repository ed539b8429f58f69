package auth

import (
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// Only failed DBSC proofs are counted, per session and per address: a request with a valid
// proof is never refused by a limit, since anyone holding a copy of the session cookie can
// fill one. (A limit on all DBSC requests let twelve of a thief's requests answer the
// device's own refresh with 429, which Chrome takes as fatal: the person was signed out when
// the bound cookie expired.) Past a limit a failed proof is answered 429 and not logged.
const (
	failedProofLimit        = 12  // per session per window
	failedProofAddressLimit = 100 // per address (auth.addressKey) per window: NAT holds many
	failedProofWindow       = 10 * time.Minute
	trackedFailures         = 4096
)

// proofFailures counts failed proofs in fixed windows, per instance (behind a load balancer
// a session gets this much per instance).
type proofFailures struct {
	counts *expirable.LRU[string, *failureWindow]
}

type failureWindow struct {
	mu    sync.Mutex
	start time.Time
	n     int
}

func newProofFailures() *proofFailures {
	return &proofFailures{counts: expirable.NewLRU[string, *failureWindow](trackedFailures, nil, 2*failedProofWindow)}
}

// add counts one failed proof of the session from ip and reports whether either count is
// now past its limit.
func (f *proofFailures) add(sessionID, ip string, now time.Time) (over bool) {
	overSession := f.count("session:"+sessionID, now) > failedProofLimit
	overAddress := f.count("address:"+addressKey(ip), now) > failedProofAddressLimit
	return overSession || overAddress
}

func (f *proofFailures) count(key string, now time.Time) int {
	w, ok := f.counts.Get(key)
	if !ok {
		w = &failureWindow{start: now}
		f.counts.Add(key, w)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if now.Sub(w.start) >= failedProofWindow {
		w.start, w.n = now, 0
	}
	w.n++
	return w.n
}

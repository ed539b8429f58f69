package resilience_test

import (
	"testing"

	"github.com/docodego/sessions/internal/testserver"
)

// twoInstances starts two apps on one database, as behind a load balancer.
func twoInstances(t *testing.T, opt testserver.Options) (a, b *testserver.Server) {
	t.Helper()
	a = testserver.Start(t, opt)
	opt.DSN = a.DSN
	return a, testserver.Start(t, opt)
}

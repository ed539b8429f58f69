package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/lib/pq"
)

// ErrUnavailable marks a failed connect: no host in the DSN took the connection, because it
// was down, still starting, or read-only (a standby not yet promoted). Callers answer 503 and
// the pool tries again on the next query.
var ErrUnavailable = errors.New("no database server accepting writes")

// IsUnavailable tells errors that mean "the database is down or slow" (answer 503, the
// client may retry) from bugs.
func IsUnavailable(err error) bool {
	var netErr net.Error
	var pqErr *pq.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, driver.ErrBadConn),
		// A server that died mid-answer: lib/pq hands the read's EOF up as it is.
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, ErrUnavailable),
		errors.As(err, &netErr):
		return true
	case errors.As(err, &pqErr):
		// 57014 query_canceled (statement timeout), 57P0x shutdown, 08xxx connection,
		// 25006 read-only: the server was fenced or demoted during a failover.
		return pqErr.Code == "57014" || pqErr.Code == "25006" || strings.HasPrefix(string(pqErr.Code), "57P") ||
			strings.HasPrefix(string(pqErr.Code), "08")
	}
	return false
}

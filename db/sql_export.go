package db

// The statements of the hottest requests, exported so that db_test's EXPLAIN checks and
// the bench's pgbench ceilings (bench/ceilings.go) send the very strings the methods send,
// not copies that drift.
const (
	SessionLookupSQL  = sessionLookupSQL
	ActiveSessionsSQL = activeSessionsSQL
	EndedSessionsSQL  = endedSessionsSQL
	// SecurityActivitySQL holds EndedSessionsSQL and the notices and events lists.
	SecurityActivitySQL = securityActivitySQL
	// SecurityOverviewSQL is SecurityActivitySQL and ActiveSessionsSQL in one statement.
	SecurityOverviewSQL = securityOverviewSQL
	// TouchSessionsSQL is TouchSession's batched last-seen write.
	TouchSessionsSQL = touchSessionsSQL
	// DeleteEndedSessionsSQL is the janitor's batch.
	DeleteEndedSessionsSQL = deleteEndedSessionsSQL
)

// RevokeSessionSQL is RevokeSessionAudited's statement.
func RevokeSessionSQL() string { return revokeSessionSQL }

package db

// The SQL the methods send, for db_test's EXPLAIN checks: the very strings, not copies.
const (
	SessionLookupSQL  = sessionLookupSQL
	ActiveSessionsSQL = activeSessionsSQL
	EndedSessionsSQL  = endedSessionsSQL
)

// Package resilience holds end-to-end tests of how the app behaves around its database and
// its own lifecycle: two instances on one database, a PostgreSQL restart under load,
// graceful shutdown, probes and metrics. They live apart because one of them restarts the
// test binary's whole PostgreSQL cluster.
package resilience

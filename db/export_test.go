package db

import "context"

// TakeListRead takes a list read's turn, as the security page's reads do, for tests that fill the line.
func (s *Store) TakeListRead(ctx context.Context) (release func(), err error) {
	return s.takeListRead(ctx)
}

package sqlite

import "database/sql"

// Queries are the package's named queries, for TestQueries.
var Queries = queries

// Reader is the store's pool of read connections, for TestQueries.
func (s *Store) Reader() *sql.DB { return s.r }

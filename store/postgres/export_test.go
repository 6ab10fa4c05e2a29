package postgres

// Queries are the package's named queries, for TestQueries.
var Queries = queries

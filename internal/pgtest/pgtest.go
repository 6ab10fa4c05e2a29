// Package pgtest gives tests a migrated Postgres store in a schema of its
// own: $STEPWISE_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test),
// a fresh schema per call, dropped when the test ends. When the database is
// unreachable the test is skipped, or fails with STEPWISE_REQUIRE_DB=1.
//
// It is for tests only.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stepwise-dev/stepwise/store/postgres"
)

// DSN is the test database's connection string.
func DSN() string {
	if s := os.Getenv("STEPWISE_TEST_DATABASE_URL"); s != "" {
		return s
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Pool returns a pool on a new schema of the test database (its
// search_path), dropped when the test ends.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, DSN())
	if err != nil {
		if os.Getenv("STEPWISE_REQUIRE_DB") == "1" {
			t.Fatalf("database unreachable: %v", err)
		}
		t.Skipf("database unreachable: %v", err)
	}
	defer admin.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "swtest_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(DSN())
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.MaxConns = 48
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pool.Close()
		c, err := pgx.Connect(context.Background(), DSN())
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	return pool
}

// Store returns a migrated store and its pool in a new schema.
func Store(t testing.TB) (*postgres.Store, *pgxpool.Pool) {
	t.Helper()
	pool := Pool(t)
	s := postgres.New(pool)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, pool
}

// SchemaDSN returns a connection string into a new schema (its
// search_path), dropped when the test ends: for a process the test starts,
// such as the stepwise binary.
func SchemaDSN(t testing.TB) string {
	t.Helper()
	pool := Pool(t)
	u, err := url.Parse(DSN())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", pool.Config().ConnConfig.RuntimeParams["search_path"])
	u.RawQuery = q.Encode()
	return u.String()
}

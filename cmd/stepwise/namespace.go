package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	natsdispatch "github.com/stepwise-dev/stepwise/dispatch/nats"
	"github.com/stepwise-dev/stepwise/workers/wire"
)

// natsNamespace returns the installation's namespace on NATS: asked when
// not empty (--namespace, STEPWISE_NAMESPACE); otherwise "default" for dev
// mode on its own embedded NATS (so that workers given no namespace find
// it), and one derived from the database's identity everywhere else: the
// PostgreSQL database at dsn (its system identifier and schema), or the
// SQLite file at sqlitePath (its absolute path); with the memory store
// (dsn memoryDB), one of this process alone, as its store is.
func natsNamespace(ctx context.Context, asked string, embeddedNATS bool, dsn, sqlitePath string) (string, error) {
	switch {
	case asked != "":
		if err := wire.Namespace(asked).Validate(); err != nil {
			return "", fmt.Errorf("--namespace: %w", err)
		}
		return asked, nil
	case embeddedNATS:
		return string(wire.DefaultNamespace), nil
	case dsn == memoryDB:
		host, _ := os.Hostname()
		return string(natsdispatch.NamespaceFor("memory", fmt.Sprintf("%s/%d/%d", host, os.Getpid(), time.Now().UnixNano()))), nil
	case dsn != "":
		id, err := postgresIdentity(ctx, dsn)
		if err != nil {
			return "", fmt.Errorf("derive the NATS namespace from the database (or set --namespace): %w", err)
		}
		return string(natsdispatch.NamespaceFor("pg", id)), nil
	}
	abs, err := filepath.Abs(sqlitePath)
	if err != nil {
		return "", err
	}
	return string(natsdispatch.NamespaceFor("sqlite", abs)), nil
}

// postgresIdentity names the database and schema dsn opens: the cluster's
// system identifier (unique per initdb) when the role may read it,
// otherwise the server's address and port, then the database and the
// current schema.
func postgresIdentity(ctx context.Context, dsn string) (string, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var cluster string
	if err := conn.QueryRow(ctx, `SELECT system_identifier::text FROM pg_control_system()`).Scan(&cluster); err != nil {
		cfg := conn.Config()
		cluster = fmt.Sprintf("%s:%d", cfg.Host, cfg.Port)
	}
	var db, schema string
	if err := conn.QueryRow(ctx, `SELECT current_database(), coalesce(current_schema(), '')`).Scan(&db, &schema); err != nil {
		return "", err
	}
	return cluster + "/" + db + "/" + schema, nil
}

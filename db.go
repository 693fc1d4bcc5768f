// Package frontdoor holds what every part of Frontdoor shares: the database
// (schema, migrations, the one-writer rule), the Clock, the Error type and the
// signed-in Principal. The parts (booking, queue, display, notify) build on it.
package frontdoor

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	_ "github.com/mattn/go-sqlite3"
	_ "time/tzdata" // the site's zone must load on any machine
)

//go:embed schema.sql
var schemaSQL string

// DB is Frontdoor's SQLite database: one write connection, whose transactions
// begin IMMEDIATE so writers queue instead of failing, and a pool of read-only
// connections that WAL lets run beside it.
type DB struct {
	Write *sql.DB
	Read  *sql.DB
	Path  string
}

// Open opens (creating if needed) the database file at path, and applies any
// migrations it has not had yet.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || strings.HasPrefix(path, ":memory:") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("open database: %q is not a file path", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("open database: create folder: %w", err)
	}
	// synchronous=FULL: a booking the resident has seen confirmed survives a power cut.
	// secure_delete: personal data erased at the end of its retention period is
	// overwritten, not left in free pages of the file.
	common := "_foreign_keys=1&_busy_timeout=10000&_journal_mode=WAL&_synchronous=FULL&_secure_delete=true"
	w, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?"+common+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	r, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?"+common+"&mode=ro&_query_only=1")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open database %s for reading: %w", path, err)
	}
	return &DB{Write: w, Read: r, Path: path}, nil
}

// Close closes both pools; the write pool last, so SQLite checkpoints the WAL.
func (db *DB) Close() error {
	return errors.Join(db.Read.Close(), db.Write.Close())
}

// WithTx runs fn in a write transaction and commits if fn returns nil.
// The transaction starts IMMEDIATE, so reads inside it see the latest state
// and no other writer can slip in between a check and the write it guards.
func (db *DB) WithTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	// Also on a panic in fn: an open transaction would hold the one write
	// connection for ever. After Commit this is a no-op.
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Ping checks that the database answers, for /healthz.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.Read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("database read: %w", err)
	}
	return db.Write.PingContext(ctx)
}

// Migration is one numbered step of schema.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

var migrationHeader = regexp.MustCompile(`(?m)^-- migration (\d+): (.*)$`)

// Migrations returns schema.sql's migrations in order.
func Migrations() []Migration {
	locs := migrationHeader.FindAllStringSubmatchIndex(schemaSQL, -1)
	ms := make([]Migration, 0, len(locs))
	for i, loc := range locs {
		end := len(schemaSQL)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		v, _ := strconv.Atoi(schemaSQL[loc[2]:loc[3]])
		ms = append(ms, Migration{Version: v, Name: schemaSQL[loc[4]:loc[5]], SQL: schemaSQL[loc[1]:end]})
	}
	return ms
}

// SchemaVersion is the version a fully migrated database has.
func SchemaVersion() int {
	ms := Migrations()
	return ms[len(ms)-1].Version
}

func migrate(ctx context.Context, w *sql.DB) error {
	return MigrateTo(ctx, w, SchemaVersion())
}

// MigrateTo applies the migrations after the database's user_version up to
// and including target, each in its own transaction. Tests use it to build
// a database of an older version.
func MigrateTo(ctx context.Context, w *sql.DB, target int) error {
	var current int
	if err := w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > SchemaVersion() {
		return fmt.Errorf("database schema version %d is newer than this program's %d: run a newer frontdoor", current, SchemaVersion())
	}
	for i, m := range Migrations() {
		if m.Version != i+1 {
			return fmt.Errorf("schema.sql: migration %d is numbered %d", i+1, m.Version)
		}
		if m.Version <= current || m.Version > target {
			continue
		}
		tx, err := w.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migration %d: %w", m.Version, err)
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.Version)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: set version: %w", m.Version, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: commit: %w", m.Version, err)
		}
	}
	return nil
}

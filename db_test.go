package frontdoor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTestDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "frontdoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func userVersion(t *testing.T, q interface {
	QueryRow(string, ...any) *sql.Row
}) int {
	t.Helper()
	var v int
	if err := q.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// schemaOf is the CREATE statements of every table and index, in name order.
func schemaOf(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT type, name, COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var typ, name, sql string
		if err := rows.Scan(&typ, &name, &sql); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s: %s\n", typ, name, sql)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// rawDB opens path without Open's migrations, to build old or odd databases.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	return db
}

func TestMigrationsAreNumberedInOrder(t *testing.T) {
	ms := Migrations()
	if len(ms) == 0 {
		t.Fatal("schema.sql has no migrations")
	}
	for i, m := range ms {
		if m.Version != i+1 {
			t.Errorf("migration %d is numbered %d", i+1, m.Version)
		}
		if strings.TrimSpace(m.Name) == "" || strings.TrimSpace(m.SQL) == "" {
			t.Errorf("migration %d has an empty name or no SQL", m.Version)
		}
	}
	if SchemaVersion() != len(ms) {
		t.Errorf("SchemaVersion() = %d, want %d", SchemaVersion(), len(ms))
	}
}

func TestOpenMigratesOnceAndSecondOpenIsNoOp(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "frontdoor.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if v := userVersion(t, db.Read); v != SchemaVersion() {
		t.Fatalf("user_version after Open = %d, want %d", v, SchemaVersion())
	}
	schema := schemaOf(t, db.Read)
	for _, table := range []string{"settings", "sites", "services", "desks", "users", "tokens", "sessions", "idempotency_keys"} {
		if !strings.Contains(schema, "table "+table+":") {
			t.Errorf("table %s missing after Open", table)
		}
	}
	if _, err := db.Write.Exec(`INSERT INTO settings(key, value) VALUES ('kept', 'yes')`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Were the migrations run again, their CREATE TABLEs would fail and Open with them.
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer db.Close()
	if v := userVersion(t, db.Read); v != SchemaVersion() {
		t.Errorf("user_version after second Open = %d, want %d", v, SchemaVersion())
	}
	if got := schemaOf(t, db.Read); got != schema {
		t.Errorf("second Open changed the schema:\n%s\nwant\n%s", got, schema)
	}
	var v string
	if err := db.Read.QueryRow(`SELECT value FROM settings WHERE key = 'kept'`).Scan(&v); err != nil || v != "yes" {
		t.Errorf("row written before the second Open: %q, %v", v, err)
	}
}

// Every older version a database can be at is brought up to date, keeping
// its data, and ends with the same schema as a database created new.
func TestOpenUpgradesEveryOlderVersion(t *testing.T) {
	ctx := context.Background()
	fresh := openTestDB(t)
	want := schemaOf(t, fresh.Read)

	for k := 0; k < SchemaVersion(); k++ {
		t.Run(fmt.Sprintf("from version %d", k), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			raw := rawDB(t, path)
			if err := MigrateTo(ctx, raw, k); err != nil {
				t.Fatal(err)
			}
			if v := userVersion(t, raw); v != k {
				t.Fatalf("MigrateTo(%d) left user_version %d", k, v)
			}
			if k >= 1 { // settings came with migration 1 and keeps its shape
				if _, err := raw.Exec(`INSERT INTO settings(key, value) VALUES ('from', ?)`, fmt.Sprint(k)); err != nil {
					t.Fatal(err)
				}
			}
			raw.Close()

			db, err := Open(ctx, path)
			if err != nil {
				t.Fatalf("Open a version %d database: %v", k, err)
			}
			defer db.Close()
			if v := userVersion(t, db.Read); v != SchemaVersion() {
				t.Errorf("user_version = %d, want %d", v, SchemaVersion())
			}
			if got := schemaOf(t, db.Read); got != want {
				t.Errorf("upgraded schema differs from a new database's:\n%s\nwant\n%s", got, want)
			}
			if k >= 1 {
				var v string
				if err := db.Read.QueryRow(`SELECT value FROM settings WHERE key = 'from'`).Scan(&v); err != nil || v != fmt.Sprint(k) {
					t.Errorf("data written at version %d: %q, %v", k, v, err)
				}
			}
		})
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "newer.db")
	raw := rawDB(t, path)
	if err := MigrateTo(ctx, raw, SchemaVersion()); err != nil {
		t.Fatal(err)
	}
	newer := SchemaVersion() + 1
	if _, err := raw.Exec(fmt.Sprintf("PRAGMA user_version = %d", newer)); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db, err := Open(ctx, path)
	if err == nil {
		db.Close()
		t.Fatal("Open accepted a database from a newer version of frontdoor")
	}
	for _, want := range []string{"newer", fmt.Sprint(newer), fmt.Sprint(SchemaVersion())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	raw = rawDB(t, path)
	defer raw.Close()
	if v := userVersion(t, raw); v != newer {
		t.Errorf("refused database's user_version changed to %d", v)
	}
}

func TestOpenRefusesNonFilePaths(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		if db, err := Open(context.Background(), path); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
}

// The path is a file name, not a URI: characters that mean something in a
// URI still name the file itself, in a folder that Open creates.
func TestOpenPathWithURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new folder", "a b?c=d#e%20f.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Write.Exec(`INSERT INTO settings(key, value) VALUES ('x', 'y')`); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file not at %s: %v", path, err)
	}
}

// serve's default is a relative path: it is relative to the working folder.
func TestOpenRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	db, err := Open(context.Background(), "./frontdoor-data/frontdoor.db")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := os.Stat(filepath.Join(dir, "frontdoor-data", "frontdoor.db")); err != nil {
		t.Errorf("database not in the working folder: %v", err)
	}
}

func TestOpenPragmas(t *testing.T) {
	db := openTestDB(t)
	for name, pool := range map[string]*sql.DB{"write": db.Write, "read": db.Read} {
		var mode string
		var fk, busy int
		if err := pool.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := pool.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := pool.QueryRow("PRAGMA busy_timeout").Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" || fk != 1 || busy <= 0 {
			t.Errorf("%s pool: journal_mode=%s foreign_keys=%d busy_timeout=%d; want wal, 1, > 0", name, mode, fk, busy)
		}
	}
	// Foreign keys are enforced, not just switched on.
	_, err := db.Write.Exec(`INSERT INTO desks(site_id, id, name, position) VALUES ('no-such-site', 'd', 'D', 1)`)
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Errorf("desk of a missing site: err = %v, want a FOREIGN KEY failure", err)
	}
	if db.Write.Stats().MaxOpenConnections != 1 {
		t.Errorf("write pool allows %d connections, want 1", db.Write.Stats().MaxOpenConnections)
	}
}

func TestReadPoolCannotWrite(t *testing.T) {
	db := openTestDB(t)
	for _, q := range []string{
		`INSERT INTO settings(key, value) VALUES ('r', 'w')`,
		`CREATE TABLE sneaky (x)`,
		`PRAGMA user_version = 99`,
	} {
		if _, err := db.Read.Exec(q); err == nil {
			t.Errorf("read pool ran %q", q)
		}
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM settings WHERE key = 'r'`); n != 0 {
		t.Errorf("read pool wrote %d rows", n)
	}
	if v := userVersion(t, db.Read); v != SchemaVersion() {
		t.Errorf("read pool changed user_version to %d", v)
	}
}

func countRows(t *testing.T, db *DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Read.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWithTx(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	insert := func(key string) func(*sql.Tx) error {
		return func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES (?, 'v')`, key)
			return err
		}
	}

	if err := db.WithTx(ctx, insert("committed")); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM settings WHERE key = 'committed'`); n != 1 {
		t.Errorf("after a nil fn: %d rows, want 1", n)
	}

	boom := errors.New("boom")
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		if err := insert("rolled-back")(tx); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("WithTx returned %v, want fn's error", err)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM settings WHERE key = 'rolled-back'`); n != 0 {
		t.Errorf("after fn failed: %d rows, want 0", n)
	}

	// An *Error from fn comes back as itself, so handlers can answer with it.
	conflict := Errorf(Conflict, "duplicate", "It exists.")
	if err := db.WithTx(ctx, func(*sql.Tx) error { return conflict }); AsError(err) != conflict {
		t.Errorf("WithTx returned %v, want the *Error itself", err)
	}
}

// A write transaction takes the write lock when it begins, so what it reads
// cannot be changed by another writer (another process: the CLI beside the
// server) before it writes.
func TestWithTxBeginsImmediate(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	other := rawDB(t, db.Path+"?_busy_timeout=0")
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	err = db.WithTx(ctx, func(*sql.Tx) error {
		// No statement has run in this transaction yet.
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err == nil {
			conn.ExecContext(ctx, "ROLLBACK")
			return errors.New("another writer could begin while WithTx's transaction was open")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Once it has committed, the other writer can go ahead.
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatalf("after commit: %v", err)
	}
	conn.ExecContext(ctx, "ROLLBACK")
}

// A panic inside fn must not leave the one write connection inside an open
// transaction: every later write would wait for it for ever.
func TestWithTxRollsBackOnPanic(t *testing.T) {
	db := openTestDB(t)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic did not reach the caller")
			}
		}()
		db.WithTx(context.Background(), func(tx *sql.Tx) error {
			if _, err := tx.Exec(`INSERT INTO settings(key, value) VALUES ('panicked', 'v')`); err != nil {
				t.Fatal(err)
			}
			panic("fault in fn")
		})
	}()

	// The timeout only bounds the failure: with the connection stuck, this waits for it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES ('after', 'v')`)
		return err
	})
	if err != nil {
		t.Fatalf("write after a panic: %v", err)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM settings WHERE key = 'panicked'`); n != 0 {
		t.Errorf("the panicking fn's write was kept")
	}
}

func TestPing(t *testing.T) {
	db := openTestDB(t)
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := db.Ping(context.Background()); err == nil {
		t.Error("Ping of a closed database succeeded")
	}
}

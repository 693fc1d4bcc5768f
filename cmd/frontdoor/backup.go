package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"frontdoor"
)

// backupCommand writes a consistent copy of the database while the service
// runs. VACUUM INTO reads one snapshot (a read transaction, which in WAL
// mode never blocks the service's writer) and writes a compact, self-contained
// file: no -wal beside it is needed to read it.
func backupCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := newFlags("backup", "Writes a consistent copy of the database to a new file, safely while frontdoor serve runs.\nThe secret key file (secret.key beside the database) is not in the copy: keep a copy of it too.", stderr)
	to := flags.String("to", "", "the file to write (required); it must not exist unless --force")
	force := flags.Bool("force", false, "replace the file if it exists")
	dbPath := flags.String("db", defaultDB, "SQLite database file to copy")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if *to == "" {
		return errors.New("backup: say where to write the copy with --to FILE")
	}
	if _, err := os.Stat(*dbPath); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup: database %s does not exist", *dbPath)
	} else if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if !*force {
		if _, err := os.Lstat(*to); err == nil {
			return fmt.Errorf("backup: %s already exists: choose another name, or add --force to replace it", *to)
		}
	}
	if err := os.MkdirAll(filepath.Dir(*to), 0o750); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	start := time.Now()
	// A plain connection, not frontdoor.Open: a backup must copy the database
	// as it is, never migrate it (a newer binary run for a backup beside an
	// older service would otherwise change the schema under it).
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(*dbPath)+"?_busy_timeout=10000")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer db.Close()

	// Written beside the target under a temporary name, checked, then moved
	// into place: a half-written or failed copy never carries the final name.
	tmp := filepath.Join(filepath.Dir(*to), fmt.Sprintf(".%s.tmp-%d", filepath.Base(*to), os.Getpid()))
	removeDB(tmp)
	defer removeDB(tmp)
	// A statement on its own: autocommit, a read snapshot only.
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		return fmt.Errorf("backup: copy %s: %w", *dbPath, err)
	}
	db.Close()
	version, err := checkDatabase(ctx, tmp)
	if err != nil {
		return fmt.Errorf("backup: the copy failed its check: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if *force {
		err = os.Rename(tmp, *to)
	} else {
		// Link fails if the name was taken meanwhile: never overwrite by accident.
		if err = os.Link(tmp, *to); err == nil {
			os.Remove(tmp)
		}
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("backup: %s already exists: choose another name, or add --force to replace it", *to)
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	syncDir(filepath.Dir(*to))
	info, err := os.Stat(*to)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backup of %s written to %s: %d bytes, schema version %d, integrity ok, in %s\n",
		*dbPath, *to, info.Size(), version, time.Since(start).Round(time.Millisecond))
	return nil
}

// restoreCommand puts a backup in place of the database. It is for a
// stopped service: it refuses while any process has the database open.
func restoreCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := newFlags("restore", "Checks a backup and puts it in place of the database. Stop frontdoor serve first:\nrestore refuses while the database is open. The database it replaces is kept beside it\nas FILE.before-restore-TIMESTAMP.", stderr)
	from := flags.String("from", "", "the backup file to restore (required)")
	force := flags.Bool("force", false, "replace an existing database (it is moved aside, not deleted)")
	dbPath := flags.String("db", defaultDB, "SQLite database file to replace")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if *from == "" {
		return errors.New("restore: say which backup to restore with --from FILE")
	}
	src, err := os.Open(*from)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("restore: backup %s does not exist", *from)
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer src.Close()
	if info, err := src.Stat(); err != nil || !info.Mode().IsRegular() {
		return fmt.Errorf("restore: backup %s is not a file", *from)
	}
	_, statErr := os.Stat(*dbPath)
	exists := statErr == nil
	if statErr != nil && !errors.Is(statErr, fs.ErrNotExist) {
		return fmt.Errorf("restore: database %s: %w", *dbPath, statErr)
	}
	if exists && !*force {
		return fmt.Errorf("restore: %s already exists: add --force to replace it (it is kept as %s.before-restore-TIMESTAMP)", *dbPath, *dbPath)
	}
	if exists {
		if err := quiesce(ctx, *dbPath); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(*dbPath), 0o750); err != nil {
		return fmt.Errorf("restore: %w", err)
	}

	// Copy beside the target first, and check that copy: the bytes that go in
	// place are the ones checked, and a failure leaves the database untouched.
	tmp := filepath.Join(filepath.Dir(*dbPath), fmt.Sprintf(".%s.restore-%d", filepath.Base(*dbPath), os.Getpid()))
	removeDB(tmp)
	defer removeDB(tmp)
	if err := copyFile(src, tmp); err != nil {
		return fmt.Errorf("restore: copy %s: %w", *from, err)
	}
	version, err := checkDatabase(ctx, tmp)
	if err != nil {
		return fmt.Errorf("restore: %s: %w; nothing was changed", *from, err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("restore: %w", err)
	}

	if exists {
		if err := quiesce(ctx, *dbPath); err != nil { // again: the copy took time
			return fmt.Errorf("restore: %w", err)
		}
	}
	aside, err := moveAside(*dbPath)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(tmp, *dbPath); err != nil {
		return fmt.Errorf("restore: put the backup in place: %w", err)
	}
	syncDir(filepath.Dir(*dbPath))
	fmt.Fprintf(stdout, "restored %s (schema version %d) to %s\n", *from, version, *dbPath)
	if aside != "" {
		fmt.Fprintf(stdout, "the database it replaced is kept as %s\n", aside)
	}
	if version < frontdoor.SchemaVersion() {
		fmt.Fprintf(stdout, "frontdoor serve will bring it from schema version %d to %d when it starts\n", version, frontdoor.SchemaVersion())
	}
	return nil
}

// moveAside renames the database at path, with its -wal and -journal, to
// path.before-restore-TIMESTAMP and removes its -shm, so that nothing of the
// old file can be replayed into the one put in its place: SQLite would apply
// a -wal or a hot -journal it finds beside a database to it. A -wal left by
// a crash belongs to the old file and goes with it, so the copy kept aside is
// whole. The -shm is only an index, rebuilt on open. It returns the new name
// of the database, or "" if there was none.
func moveAside(path string) (string, error) {
	aside := fmt.Sprintf("%s.before-restore-%s", path, time.Now().UTC().Format("20060102T150405.000Z"))
	moved := ""
	for _, suffix := range []string{"", "-wal", "-journal"} {
		err := os.Rename(path+suffix, aside+suffix)
		if err == nil && suffix == "" {
			moved = aside
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return moved, fmt.Errorf("move the old database%s aside: %w", suffix, err)
		}
	}
	if err := os.Remove(path + "-shm"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return moved, fmt.Errorf("remove the old database's -shm: %w", err)
	}
	return moved, nil
}

// checkDatabase opens the SQLite file at path on its own (not through Open,
// which would migrate it) and checks it is a sound Frontdoor database this
// program can run. It returns the schema version.
func checkDatabase(ctx context.Context, path string) (int, error) {
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?_busy_timeout=5000")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var version int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return 0, fmt.Errorf("not a database (%v)", err)
	}
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('sites', 'bookings', 'tickets')`).Scan(&tables); err != nil {
		return 0, fmt.Errorf("not a database (%v)", err)
	}
	switch {
	case version > frontdoor.SchemaVersion():
		return version, fmt.Errorf("its schema version %d is newer than this program's %d: use a newer frontdoor", version, frontdoor.SchemaVersion())
	case version < 1 || tables != 3:
		return version, errors.New("not a Frontdoor database (it has no Frontdoor schema)")
	}
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return version, fmt.Errorf("integrity check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return version, fmt.Errorf("integrity check: %w", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return version, fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) > 0 {
		if len(problems) > 3 {
			problems = append(problems[:3], "...")
		}
		return version, fmt.Errorf("integrity check failed: %s", strings.Join(problems, "; "))
	}
	return version, nil
}

// quiesce checks that no process has the database at path open, and folds
// its WAL into the file. Every connection to a WAL database holds a shared
// lock on the file for as long as it is open (idle included), so an
// exclusive lock taken without waiting succeeds only when nobody else has it
// open: a running frontdoor serve, a backup, sqlite3 in another terminal.
// The check cannot stop a server starting a moment later: stop the service
// (systemctl stop frontdoor) before restoring.
func quiesce(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?_busy_timeout=0&_locking_mode=EXCLUSIVE")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	_, err = db.ExecContext(ctx, `BEGIN EXCLUSIVE; COMMIT`)
	if err == nil {
		var busy, logPages, done int
		err = db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logPages, &done)
	}
	var sqlErr sqlite3.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &sqlErr) && (sqlErr.Code == sqlite3.ErrBusy || sqlErr.Code == sqlite3.ErrLocked):
		return fmt.Errorf("%s is in use (is frontdoor serve running on it?): stop the service first, then restore", path)
	case errors.As(err, &sqlErr) && (sqlErr.Code == sqlite3.ErrNotADB || sqlErr.Code == sqlite3.ErrCorrupt):
		return nil // a broken database is what a restore is for; nobody can be serving it
	default:
		return fmt.Errorf("%s: %w", path, err)
	}
}

// removeDB removes a database file and its -wal, -shm and -journal.
func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + suffix)
	}
}

func copyFile(src *os.File, to string) error {
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// syncFile flushes the file to disk before it is renamed into place.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a rename in dir durable; best effort (not every system can).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

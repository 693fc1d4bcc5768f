package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"frontdoor"
)

// timedBooking is a confirmed booking and when its 201 arrived.
type timedBooking struct {
	bookingAnswer
	At time.Time
}

// bookUntil has n residents book City Hall's HOU slots day after day
// (capacity 1, 09:00–12:00) until stop is closed, sending each confirmed
// booking on booked.
func (s *testServer) bookUntil(stop <-chan struct{}, n int, booked chan<- timedBooking) *sync.WaitGroup {
	var wg sync.WaitGroup
	var phone atomic.Int64
	for w := range n {
		wg.Go(func() {
			// Worker w takes every n-th slot: no two ask for the same one.
			for i := w; ; i += n {
				select {
				case <-stop:
					return
				default:
				}
				day, slot := i/9, i%9
				date := time.Date(2026, 12, 1, 9, 0, 0, 0, london).AddDate(0, 0, day)
				if date.Weekday() == time.Saturday || date.Weekday() == time.Sunday || date.Day() == 25 && date.Month() == time.December {
					continue
				}
				start := date.Add(time.Duration(slot) * 20 * time.Minute)
				r, err := s.send("POST", "/api/v1/bookings", "", bookBody(start, fmt.Sprintf("07400 %06d", phone.Add(1))))
				if err != nil || r.Status != 201 {
					s.t.Errorf("booking %s: %v %d %s", start, err, r.Status, r.Body)
					return
				}
				var b bookingAnswer
				if err := jsonUnmarshal(r.Body, &b); err != nil {
					s.t.Error(err)
					return
				}
				booked <- timedBooking{b, time.Now()}
			}
		})
	}
	return &wg
}

// openCopy opens a backup read-only, outside frontdoor.Open (which would migrate it).
func openCopy(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestBackupWhileServing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live", "frontdoor.db")
	s := start(t, config{DB: path, testClock: frontdoor.NewFakeClockAt(monday)})
	s.setupCentre()

	stop := make(chan struct{})
	booked := make(chan timedBooking, 1000)
	wg := s.bookUntil(stop, 4, booked)
	var all []timedBooking
	collect := func() {
		for {
			select {
			case b := <-booked:
				all = append(all, b)
			default:
				return
			}
		}
	}
	waitUntil(t, 20*time.Second, "bookings to flow", func() bool { collect(); return len(all) >= 30 })

	backup := filepath.Join(t.TempDir(), "backups", "frontdoor-1.db")
	began := time.Now()
	stdout, stderr, err := runCLI(t, "backup", "--to", backup, "--db", path)
	ended := time.Now()
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, stderr)
	}
	time.Sleep(50 * time.Millisecond) // bookings carry on after it too
	close(stop)
	wg.Wait()
	collect()
	if !strings.Contains(stdout, "integrity ok") {
		t.Errorf("backup printed %q", stdout)
	}

	cp := openCopy(t, backup)
	var check string
	if err := cp.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("copy's integrity_check: %q %v", check, err)
	}
	var version int
	cp.QueryRow(`PRAGMA user_version`).Scan(&version)
	if version != frontdoor.SchemaVersion() {
		t.Errorf("copy has schema version %d, want %d", version, frontdoor.SchemaVersion())
	}
	inCopy := map[string]bool{}
	rows, err := cp.Query(`SELECT reference FROM bookings`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ref string
		rows.Scan(&ref)
		inCopy[ref] = true
	}
	rows.Close()
	var before, during int
	for _, b := range all {
		switch {
		case b.At.Before(began):
			before++
			if !inCopy[b.Reference] {
				t.Errorf("booking %s, confirmed before the backup began, is not in the copy", b.Reference)
			}
		case b.At.Before(ended):
			during++
		}
	}
	if len(inCopy) > len(all) {
		t.Errorf("the copy has %d bookings, more than the %d made", len(inCopy), len(all))
	}
	t.Logf("%d bookings before the backup, %d while it ran, %d in the copy, %d in all", before, during, len(inCopy), len(all))

	// A second backup to the same name is refused, and the first is untouched.
	first, _ := os.ReadFile(backup)
	if _, _, err := runCLI(t, "backup", "--to", backup, "--db", path); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("backup over an existing file: %v, want already exists", err)
	}
	if now, _ := os.ReadFile(backup); !bytes.Equal(first, now) {
		t.Error("the refused backup changed the existing file")
	}
	if _, stderr, err := runCLI(t, "backup", "--to", backup, "--db", path, "--force"); err != nil {
		t.Errorf("backup --force: %v\n%s", err, stderr)
	}
	if entries, _ := os.ReadDir(filepath.Dir(backup)); len(entries) != 1 {
		t.Errorf("backup folder holds %v, want only the backup", entries)
	}
}

func TestBackupBadInput(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nothing-here.db")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"backup", "--db", missing}, "--to FILE"},
		{[]string{"backup", "--to", filepath.Join(dir, "b.db"), "--db", missing}, "does not exist"},
	} {
		if _, _, err := runCLI(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error saying %q", c.args, err, c.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed backup left %v", entries)
	}
}

func TestRestore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "frontdoor.db")
	backup := filepath.Join(dir, "backup.db")
	s := start(t, config{DB: path, testClock: frontdoor.NewFakeClockAt(monday)})
	s.setupCentre()
	kept := s.book(time.Date(2026, 12, 1, 9, 0, 0, 0, london), "07700 900001")
	if _, stderr, err := runCLI(t, "backup", "--to", backup, "--db", path); err != nil {
		t.Fatalf("backup: %v\n%s", err, stderr)
	}
	lost := s.book(time.Date(2026, 12, 1, 9, 20, 0, 0, london), "07700 900002")

	// While the server has the database open, restore refuses and changes nothing.
	before := s.dump()
	if _, _, err := runCLI(t, "restore", "--from", backup, "--db", path, "--force"); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("restore under a running server: %v, want in use", err)
	}
	if s.dump() != before {
		t.Fatal("the refused restore changed the database")
	}
	s.stop()

	// Without --force an existing database is not replaced.
	if _, _, err := runCLI(t, "restore", "--from", backup, "--db", path); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("restore over a database without --force: %v", err)
	}
	stdout, stderr, err := runCLI(t, "restore", "--from", backup, "--db", path, "--force")
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, stderr)
	}
	aside, _ := filepath.Glob(path + ".before-restore-*")
	if len(aside) != 1 || !strings.Contains(stdout, aside[0]) {
		t.Fatalf("old database kept as %v; restore said %q", aside, stdout)
	}
	for _, stale := range []string{path + "-wal", path + "-shm"} {
		if _, err := os.Stat(stale); err == nil {
			t.Errorf("%s left beside the restored database: SQLite would replay it into the copy", stale)
		}
	}
	if n := countIn(t, aside[0], `SELECT COUNT(*) FROM bookings`); n != 2 {
		t.Errorf("the database kept aside has %d bookings, want both", n)
	}

	// The server starts on the restored file: the booking from before the backup is there, the later one is not.
	s2 := start(t, config{DB: path, testClock: frontdoor.NewFakeClockAt(monday)})
	s2.must(200, "GET", "/api/v1/bookings/"+kept.Reference, kept.ManageToken, nil)
	s2.must(404, "GET", "/api/v1/bookings/"+lost.Reference, s2.Admin, nil)
	s2.must(200, "GET", "/healthz", "", nil)
}

func TestRestoreBadInput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "live", "frontdoor.db")
	s := start(t, config{DB: path, testClock: frontdoor.NewFakeClockAt(monday)})
	s.setupCentre()
	s.book(time.Date(2026, 12, 1, 9, 0, 0, 0, london), "07700 900001")
	s.stop()

	notDB := filepath.Join(dir, "notes.txt")
	os.WriteFile(notDB, bytes.Repeat([]byte("This is not a database at all.\n"), 200), 0o600)
	empty := filepath.Join(dir, "empty.db")
	os.WriteFile(empty, nil, 0o600)
	other := filepath.Join(dir, "other.db")
	if db, err := sql.Open("sqlite3", "file:"+other); err != nil {
		t.Fatal(err)
	} else {
		if _, err := db.Exec(`CREATE TABLE things (id INTEGER PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	newer := filepath.Join(dir, "newer.db")
	if _, stderr, err := runCLI(t, "backup", "--to", newer, "--db", path); err != nil {
		t.Fatalf("backup: %v\n%s", err, stderr)
	}
	if db, err := sql.Open("sqlite3", "file:"+newer); err != nil {
		t.Fatal(err)
	} else {
		if _, err := db.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, frontdoor.SchemaVersion()+1)); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	torn := filepath.Join(dir, "torn.db")
	whole, _ := os.ReadFile(newer)
	os.WriteFile(torn, whole[:len(whole)/2], 0o600)
	if db, err := sql.Open("sqlite3", "file:"+torn); err == nil {
		db.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, frontdoor.SchemaVersion()))
		db.Close()
	}

	live, _ := os.ReadFile(path)
	listing := func() []string {
		var names []string
		filepath.WalkDir(filepath.Dir(path), func(p string, d os.DirEntry, err error) error {
			names = append(names, p)
			return nil
		})
		slices.Sort(names)
		return names
	}
	files := listing()
	for _, c := range []struct {
		name, from, want string
	}{
		{"no --from", "", "--from FILE"},
		{"missing file", filepath.Join(dir, "nothing-here.db"), "does not exist"},
		{"a folder", dir, "not a file"},
		{"not a database", notDB, "not a database"},
		{"an empty file", empty, "not a Frontdoor database"},
		{"another program's database", other, "not a Frontdoor database"},
		{"a newer schema", newer, fmt.Sprintf("schema version %d is newer than this program's %d", frontdoor.SchemaVersion()+1, frontdoor.SchemaVersion())},
		{"a torn copy", torn, "restore: "},
	} {
		args := []string{"restore", "--db", path, "--force"}
		if c.from != "" {
			args = append(args, "--from", c.from)
		}
		_, _, err := runCLI(t, args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
			continue
		}
		t.Logf("%s: %v", c.name, err)
		if now, _ := os.ReadFile(path); !bytes.Equal(now, live) {
			t.Fatalf("%s: the database changed", c.name)
		}
		if now := listing(); !slices.Equal(now, files) {
			t.Fatalf("%s: the folder changed from %v to %v", c.name, files, now)
		}
	}
}

// A backup copies the database as it is: run by a newer binary beside an
// older service, it must not migrate the live file under that service.
func TestBackupNeverMigratesTheLiveDatabase(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "frontdoor.db")
	db, err := frontdoor.Open(t.Context(), live)
	if err != nil {
		t.Fatal(err)
	}
	older := frontdoor.SchemaVersion() - 1
	if _, err := db.Write.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, older)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	copyPath := filepath.Join(dir, "copy.db")
	if _, _, err := runCLI(t, "backup", "--db", live, "--to", copyPath); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{live, copyPath} {
		raw, err := sql.Open("sqlite3", path)
		if err != nil {
			t.Fatal(err)
		}
		var v int
		if err := raw.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		if v != older {
			t.Errorf("%s has schema version %d after the backup, want %d as it was", filepath.Base(path), v, older)
		}
	}
}

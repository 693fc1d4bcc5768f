package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"frontdoor"
)

// runCLI runs the frontdoor command line as main does, returning what it
// printed on stdout and stderr.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

// countIn counts rows in the database file at path.
func countIn(t *testing.T, path, query string) int {
	t.Helper()
	db, err := frontdoor.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.Read.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// oneToken checks that stdout is exactly one line holding a token.
func oneToken(t *testing.T, stdout string) string {
	t.Helper()
	if !regexp.MustCompile(`^fd_[a-z2-7]+\n$`).MatchString(stdout) {
		t.Fatalf("stdout is %q, want exactly one line with a token", stdout)
	}
	return strings.TrimSpace(stdout)
}

func TestTokenCreatePrintsOneWorkingToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "frontdoor.db")
	stdout, stderr, err := runCLI(t, "token", "create", "--role", "admin", "--name", "Operations", "--db", path)
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, stderr)
	}
	token := oneToken(t, stdout)

	s := start(t, config{DB: path})
	r := s.must(200, "GET", "/api/v1/tokens", token, nil)
	if !bytes.Contains(r.Body, []byte(`"name":"Operations"`)) || !bytes.Contains(r.Body, []byte(`"role":"admin"`)) {
		t.Errorf("GET /api/v1/tokens with the new token: %s", r.Body)
	}
}

// token create reads FRONTDOOR_DB from the environment, and --db wins over
// it; a stray FRONTDOOR_ROLE or FRONTDOOR_NAME never quietly fills in a token.
func TestTokenCreateReadsTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	fromEnv, fromFlag := filepath.Join(dir, "env.db"), filepath.Join(dir, "flag.db")
	t.Setenv("FRONTDOOR_DB", fromEnv)

	stdout, stderr, err := runCLI(t, "token", "create", "--role", "manager", "--name", "From env")
	if err != nil {
		t.Fatalf("token create with FRONTDOOR_DB: %v\n%s", err, stderr)
	}
	token := oneToken(t, stdout)
	s := start(t, config{DB: fromEnv})
	s.setupCentre()
	s.must(200, "GET", "/api/v1/sites/city-hall/desks", token, nil)
	s.stop()

	if _, stderr, err := runCLI(t, "token", "create", "--db", fromFlag, "--role", "officer", "--name", "Flag name"); err != nil {
		t.Fatalf("token create --db: %v\n%s", err, stderr)
	}
	if n := countIn(t, fromFlag, `SELECT COUNT(*) FROM tokens WHERE name = 'Flag name' AND role = 'officer'`); n != 1 {
		t.Error("--db did not win over FRONTDOOR_DB")
	}
	if n := countIn(t, fromEnv, `SELECT COUNT(*) FROM tokens`); n != 2 { // "From env" and the test server's admin
		t.Errorf("FRONTDOOR_DB's database has %d tokens, want 2", n)
	}

	t.Setenv("FRONTDOOR_ROLE", "admin")
	t.Setenv("FRONTDOOR_NAME", "Stray")
	if stdout, _, err := runCLI(t, "token", "create", "--db", fromFlag); err == nil || stdout != "" {
		t.Errorf("token create without --role and --name, with them in the environment: %v, printed %q; want an error", err, stdout)
	}
}

func TestTokenCreateRefusesBadInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frontdoor.db")
	tests := []struct {
		name    string
		args    []string
		mention string
	}{
		{"unknown role", []string{"--role", "owner", "--name", "x"}, "role"},
		{"no role", []string{"--name", "x"}, "role"},
		{"no name", []string{"--role", "admin"}, "name"},
		{"device without a site", []string{"--role", "device", "--name", "Kiosk"}, "site"},
		{"device of an unknown site", []string{"--role", "device", "--name", "Kiosk", "--site", "nowhere"}, "site"},
		{"unknown flag", []string{"--role", "admin", "--name", "x", "--colour", "blue"}, "colour"},
		{"stray argument", []string{"--role", "admin", "--name", "x", "extra"}, "extra"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := runCLI(t, append([]string{"token", "create", "--db", path}, tc.args...)...)
			if err == nil {
				t.Fatal("token create succeeded")
			}
			if stdout != "" {
				t.Errorf("printed %q on stdout", stdout)
			}
			if !strings.Contains(err.Error()+stderr, tc.mention) {
				t.Errorf("error %q (stderr %q) does not mention %s", err, stderr, tc.mention)
			}
		})
	}
	if _, err := os.Stat(path); err == nil {
		if n := countIn(t, path, `SELECT COUNT(*) FROM tokens`); n != 0 {
			t.Errorf("refused token creations wrote %d tokens", n)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--help"},
		{"serve", "-h"},
		{"token", "create", "--help"},
		{"token", "revoke", "--help"},
		{"user", "create", "--help"},
	} {
		stdout, stderr, err := runCLI(t, args...)
		if !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%v: err = %v, want flag.ErrHelp", args, err)
		}
		if stdout != "" {
			t.Errorf("%v: printed %q on stdout", args, stdout)
		}
		if !strings.Contains(stderr, "Usage: frontdoor "+args[0]) || !strings.Contains(stderr, "-db") || !strings.Contains(stderr, "FRONTDOOR_") {
			t.Errorf("%v: usage is\n%s", args, stderr)
		}
	}
	if stdout, _, err := runCLI(t, "help"); err != nil || !strings.Contains(stdout, "token create") {
		t.Errorf("help: %v %q", err, stdout)
	}
	for _, args := range [][]string{{}, {"serv"}, {"token"}, {"token", "delete"}} {
		if _, stderr, err := runCLI(t, args...); err == nil || !strings.Contains(stderr, "Usage:") {
			t.Errorf("%v: err = %v, stderr %q; want an error and the usage", args, err, stderr)
		}
	}
}

var (
	demoPassword = regexp.MustCompile(`(?m)^\s*password:\s*(\S+)$`)
	demoName     = regexp.MustCompile(`(?m)^\s*name:\s*(\S+)$`)
	demoToken    = regexp.MustCompile(`(fd_[a-z2-7]+)`)
)

func TestDemoOnceThenNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "frontdoor.db")
	s := start(t, config{DB: path})
	var out bytes.Buffer
	if err := s.app.demo(ctx, &out); err != nil {
		t.Fatal(err)
	}
	for query, want := range map[string]int{
		`SELECT COUNT(*) FROM sites`:                                                      1,
		`SELECT COUNT(*) FROM sites WHERE timezone = 'Europe/London'`:                     1,
		`SELECT COUNT(*) FROM services`:                                                   4,
		`SELECT COUNT(*) FROM opening_hours WHERE open = '09:00' AND close = '17:00'`:     5,
		`SELECT COUNT(DISTINCT weekday) FROM opening_hours WHERE weekday BETWEEN 1 AND 5`: 5,
		`SELECT COUNT(*) FROM users`:                                                      1,
		`SELECT COUNT(*) FROM tokens`:                                                     2, // the demo's and the test server's
	} {
		if got := s.count(query); got != want {
			t.Errorf("%s = %d, want %d", query, got, want)
		}
	}
	if n := s.count(`SELECT COUNT(*) FROM desks`); n < 2 {
		t.Errorf("%d desks, want some", n)
	}
	if n := s.count(`SELECT COUNT(*) FROM services s WHERE NOT EXISTS (SELECT 1 FROM desk_services d WHERE d.service_code = s.code)`); n != 0 {
		t.Errorf("%d demo services have no desk", n)
	}
	if n := s.count(`SELECT COUNT(*) FROM capacity_bands`); n == 0 {
		t.Error("no appointment capacity: nothing could be booked")
	}

	printed := out.String()
	name, password, token := demoName.FindStringSubmatch(printed), demoPassword.FindStringSubmatch(printed), demoToken.FindStringSubmatch(printed)
	if name == nil || password == nil || token == nil {
		t.Fatalf("demo output has no name, password and token:\n%s", printed)
	}
	signIn := s.page("POST", "/sign-in", url.Values{"name": {name[1]}, "password": {password[1]}}, nil)
	cookie := sessionCookie(signIn)
	if signIn.Status != http.StatusSeeOther || cookie == nil {
		t.Fatalf("signing in as printed: %d", signIn.Status)
	}
	if r := s.page("GET", "/staff", nil, []*http.Cookie{cookie}); r.Status != 200 || !bytes.Contains(r.Body, []byte(name[1])) {
		t.Errorf("GET /staff as the demo user: %d", r.Status)
	}
	s.must(200, "GET", "/api/v1/tokens", token[1], nil)
	s.must(201, "POST", "/api/v1/sites/riverside/desks", token[1], map[string]any{"id": "desk-99", "name": "Desk 99", "services": []string{"HOU"}})
	s.stop()

	// Second start on the same database: nothing added, nothing changed.
	second := start(t, config{DB: path})
	before := second.dump()
	out.Reset()
	if err := second.app.demo(ctx, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "nothing was added") || demoToken.MatchString(out.String()) || demoPassword.MatchString(out.String()) {
		t.Errorf("second demo printed:\n%s", out.String())
	}
	if after := second.dump(); after != before {
		t.Errorf("second demo changed the database")
	}
}

// lockedWriter lets the test read what serve logs while serve writes it.
type lockedWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	onLine func(line []byte)
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.onLine != nil {
		w.onLine(p)
	}
	return len(p), nil
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// serve, as started from the command line: it creates the database's
// folder, adds the demo, answers, and on a signal (ctx done) stops cleanly.
func TestServeCommand(t *testing.T) {
	old := slog.Default()
	t.Cleanup(func() { slog.SetDefault(old) })

	path := filepath.Join(t.TempDir(), "not", "yet", "there", "frontdoor.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan string, 1)
	logs := &lockedWriter{onLine: func(line []byte) {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal(line, &rec) == nil && rec.Msg == "frontdoor serving" {
			addr <- rec.Addr
		}
	}}
	var stdout lockedWriter
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", path, "--demo", "--log-format", "json"}, &stdout, logs)
	}()

	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("serve stopped before serving: %v\n%s", err, logs.String())
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"status":"ok"`)) {
		t.Errorf("GET /healthz: %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get(base + "/api/v1/sites")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body, []byte(`"riverside"`)) {
		t.Errorf("GET /api/v1/sites after --demo: %s", body)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve after its context ended: %v\n%s", err, logs.String())
	}
	if !strings.Contains(stdout.String(), "Demo centre added") {
		t.Errorf("--demo printed:\n%s", stdout.String())
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("serve did not create the database in a new folder: %v", err)
	}
	// Closed cleanly: the last connection to close checkpoints and removes the WAL.
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Errorf("the WAL file is still there after serve stopped (err %v): the database was not closed", err)
	}
	if n := countIn(t, path, `SELECT COUNT(*) FROM sites`); n != 1 {
		t.Errorf("%d sites after serve --demo", n)
	}
}

func TestNewAppCreatesTheDatabaseFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "frontdoor.db")
	a, err := newApp(context.Background(), config{DB: path})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("no database at %s: %v", path, err)
	}
}

// main itself, in a child process (the test binary run again): its exit
// status and where it writes.
func TestMainExitStatus(t *testing.T) {
	if args, ok := os.LookupEnv("FD_TEST_MAIN_ARGS"); ok {
		os.Args = append([]string{"frontdoor"}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	db := filepath.Join(t.TempDir(), "frontdoor.db")
	tests := []struct {
		args           string
		status         int
		stdout, stderr string // expected to contain
	}{
		{"serve --help", 0, "", "Usage: frontdoor serve"},
		{"token create --help", 0, "", "Usage: frontdoor token create"},
		{"help", 0, "Usage:", ""},
		{"token create --role admin --name cli --db " + db, 0, "fd_", ""},
		{"token create --role owner --name cli --db " + db, 2, "", "frontdoor: "},
		{"launch", 2, "", "unknown command"},
	}
	for _, tc := range tests {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMainExitStatus$")
		cmd.Env = append(os.Environ(), "FD_TEST_MAIN_ARGS="+tc.args)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		status := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			status = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if status != tc.status || !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("frontdoor %s: exit %d, stdout %q, stderr %q; want exit %d", tc.args, status, stdout.String(), stderr.String(), tc.status)
		}
		if tc.status != 0 && stdout.Len() > 0 {
			t.Errorf("frontdoor %s failed but printed %q on stdout", tc.args, stdout.String())
		}
	}
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"frontdoor"
)

// The retention job (DESIGN.md: personal data is kept only as long as the
// retention setting says, then erased; the statistics survive without it).

// resident is a visitor with details distinctive enough to find anywhere in
// the database file.
type resident struct {
	name, phone, e164, email, interpreter, other string
}

func (r resident) traces() []string {
	t := []string{r.name, r.phone, r.e164, strings.TrimPrefix(r.e164, "+"), r.email, r.interpreter, r.other}
	return slices.DeleteFunc(t, func(s string) bool { return s == "" })
}

func (s *script) bookAs(r resident, at time.Time) bookingAnswer {
	s.t.Helper()
	needs := map[string]any{}
	if r.interpreter != "" {
		needs["interpreter"] = r.interpreter
	}
	if r.other != "" {
		needs["other"] = r.other
	}
	var b bookingAnswer
	s.must(201, "POST", "/api/v1/bookings", "", map[string]any{"site": "city-hall", "service": "HOU", "start": at.Format(time.RFC3339),
		"name": r.name, "phone": r.phone, "email": r.email, "needs": needs, "channel": "online"}).JSON(s.t, &b)
	return b
}

// rawDatabase is the database file's bytes and its write-ahead log's, as
// anyone who copies the files would read them.
func rawDatabase(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func (s *testServer) eraseExpired() erased {
	s.t.Helper()
	n, err := s.app.eraseExpired(context.Background())
	if err != nil {
		s.t.Fatalf("retention job: %v", err)
	}
	return n
}

// TestRetentionErasesPersonalData plays a day at City Hall with texts going
// to a fake Twilio, moves the clock 91 days on and runs the retention job:
// nothing that names or reaches the day's residents is left in the database
// (its tables or its raw bytes), and the day's standards report reads the
// same to the byte. A booking 89 days old keeps its details, and a second
// run changes nothing.
func TestRetentionErasesPersonalData(t *testing.T) {
	s0, ft, clock := twilioServer(t, monday)
	s := &script{testServer: s0, clock: clock, loc: london, day: "2026-12-01"}
	s.must(201, "POST", "/api/v1/sites/city-hall/desks", s.Admin, map[string]any{"id": "desk-2", "name": "Desk 2", "services": []string{"HOU", "CTX"}})
	s.must(200, "PUT", "/api/v1/sites/city-hall/sms-settings", s.Admin, map[string]bool{"satisfaction_question": true})
	s.officer = s.token(frontdoor.RoleOfficer, "city-hall")
	s.kiosk = s.token(frontdoor.RoleDevice, "city-hall")

	zeb := resident{"Zebedee Quillfeather", "07700 900417", "+447700900417", "zebedee.quillfeather@example.org", "Tigrinya", "Hearing loop please"}
	pip := resident{"Philippa Drummondsworth", "07700 900418", "+447700900418", "pip.drummondsworth@example.net", "", "Guide dog called Biscuitface"}
	otto := resident{"Ottoline Vexworthy", "07700 900419", "+447700900419", "otto.vexworthy@example.com", "Kurmanji", ""}
	walker := resident{phone: "07700 900733", e164: "+447700900733"}
	recent := resident{"Rosalind Keepworthy", "07700 900555", "+447700900555", "rosalind.keepworthy@example.org", "", "Step-free access"}
	const note = "Visitor shouting at Quillfeather, send Marguerite Oyelaran-Bisset"
	local := func(day, hhmm string) time.Time {
		t0, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hhmm, london)
		if err != nil {
			t.Fatal(err)
		}
		return t0
	}

	bZeb := s.bookAs(zeb, local("2026-12-01", "09:00"))
	bPip := s.bookAs(pip, local("2026-12-01", "09:20"))
	bOtto := s.bookAs(otto, local("2026-12-01", "10:00")) // never comes
	bRecent := s.bookAs(recent, local("2026-12-03", "09:00"))
	s.sendTexts()

	s.at("08:55:00")
	Z := s.checkIn(bZeb)
	s.at("09:00:00")
	s.call("desk-1", "HOU", Z)
	s.at("09:05:00")
	var W1 arrivalAnswer
	s.must(201, "POST", "/api/v1/sites/city-hall/tickets", s.kiosk, map[string]any{"service": "CTX", "phone": walker.phone}).JSON(t, &W1)
	s.at("09:12:00")
	s.call("desk-2", "CTX", W1) // "please go to Desk 2" to the walk-in's mobile
	s.at("09:15:00")
	s.must(201, "POST", "/api/v1/desks/desk-1/emergency", s.officer, map[string]string{"message": note})
	s.at("09:20:00")
	s.act(Z, "finish", map[string]any{"outcome": "resolved"}) // and the satisfaction question
	s.at("09:24:00")
	P := s.checkIn(bPip)
	s.at("09:31:00")
	s.call("desk-1", "HOU", P) // seven minutes after arrival, eleven after the time: judged from the time
	s.at("09:40:00")
	s.act(W1, "finish", map[string]any{"outcome": "not_resolved", "follow_up": true})
	s.at("09:50:00")
	W2 := s.walkIn("city-hall", "CTX") // no phone
	s.at("09:58:00")
	s.call("desk-2", "CTX", W2)
	s.at("10:05:00")
	s.act(P, "finish", nil)
	s.act(W2, "no-show", nil)
	s.sendTexts()
	s.twilioSigned(ft, "/webhooks/twilio/sms", inbound(ft, zeb.e164, "4"))
	s.sendTexts()
	// The day closes: Ottoline's booking becomes a no-show.
	s.atInstant(local("2026-12-02", "00:30"))
	if err := s.app.queue.CloseDays(context.Background()); err != nil {
		t.Fatal(err)
	}

	reportPaths := []string{
		"/api/v1/sites/city-hall/reports/standards?from=2026-12-01&to=2026-12-01",
		"/api/v1/sites/city-hall/reports/standards?from=2026-12-01&to=2026-12-01&format=csv",
		"/api/v1/sites/city-hall/reports/standards?from=2026-11-30&to=2026-12-04",
	}
	reports := func() []string {
		var out []string
		for _, p := range reportPaths {
			out = append(out, string(s.must(200, "GET", p, s.Admin, nil).Body))
		}
		return out
	}
	manager := s.token(frontdoor.RoleManager, "city-hall")
	reportPage := func() string {
		page := string(s.must(200, "GET", "/staff/reports?site=city-hall&from=2026-12-01&to=2026-12-01", manager, nil).Body)
		return nonceRE.ReplaceAllString(page, `nonce=""`) // a fresh CSP nonce each request
	}

	gone := [][]string{zeb.traces(), pip.traces(), otto.traces(), walker.traces(), {note, "Marguerite", "Oyelaran"}}
	for _, b := range []bookingAnswer{bZeb, bPip, bOtto} {
		gone = append(gone, []string{b.ManageToken, b.ManageURL})
	}
	var traces []string
	for _, g := range gone {
		traces = append(traces, g...)
	}
	// The test proves something only if the day left its traces to erase.
	before := s.dump()
	typed := map[string]bool{zeb.phone: true, pip.phone: true, otto.phone: true, walker.phone: true} // stored as +44…
	for _, tr := range traces {
		if !typed[tr] && !strings.Contains(before, tr) {
			t.Errorf("before erasure the database does not hold %q: the day did not record what the test looks for", tr)
		}
	}
	if n := s.count(`SELECT COUNT(*) FROM messages WHERE body LIKE '%' || ? || '%'`, bZeb.ManageToken); n == 0 {
		t.Errorf("Zebedee's confirmation does not carry the manage link")
	}

	// 91 days after the day, the job runs.
	s.atInstant(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, 91))
	wantReports, wantPage := reports(), reportPage()
	recentRow := func() string {
		var name, phone, email, needs string
		var erasedAt *int64
		if err := s.app.db.Read.QueryRow(`SELECT name, phone, email, needs, erased_at FROM bookings WHERE reference = ?`, bRecent.Reference).
			Scan(&name, &phone, &email, &needs, &erasedAt); err != nil {
			t.Fatal(err)
		}
		if erasedAt != nil {
			return "erased"
		}
		return strings.Join([]string{name, phone, email, needs}, "|")
	}
	recentBefore := recentRow()

	n := s.eraseExpired()
	t.Logf("erased: %+v", n)
	if n.Bookings != 3 || n.Queue != 2 || n.Messages == 0 {
		t.Errorf("erased %+v, want the day's 3 bookings, 1 walk-in number and 1 emergency note, and its texts", n)
	}

	dump := s.dump()
	raw := rawDatabase(t, s.app.db.Path)
	for _, tr := range traces {
		if strings.Contains(dump, tr) {
			t.Errorf("after erasure a table still holds %q", tr)
		}
		if bytes.Contains(raw, []byte(tr)) {
			t.Errorf("after erasure the database file still holds %q", tr)
		}
	}
	if got := reports(); strings.Join(got, "\n--\n") != strings.Join(wantReports, "\n--\n") {
		t.Errorf("the standards reports changed with erasure:\nbefore %s\nafter  %s", wantReports, got)
	}
	if got := reportPage(); got != wantPage {
		t.Errorf("the manager's report page changed with erasure:\n%s", lineDiff(wantPage, got))
	}
	// What the statistics and the audit need is still there.
	if n := s.count(`SELECT COUNT(*) FROM bookings WHERE erased_at IS NOT NULL AND name = '' AND phone = '' AND email = '' AND needs = '{}'`); n != 3 {
		t.Errorf("%d bookings erased, want 3", n)
	}
	if n := s.count(`SELECT COUNT(*) FROM ticket_events WHERE kind = 'emergency' AND json_extract(data, '$.desk_id') = 'desk-1' AND json_type(data, '$.message') IS NULL`); n != 1 {
		t.Errorf("the emergency event should stay, without its note")
	}
	if n := s.count(`SELECT COUNT(*) FROM satisfaction_scores WHERE score = 4`); n != 1 {
		t.Errorf("the satisfaction score should stay")
	}
	if got := recentRow(); got != recentBefore || !strings.Contains(got, recent.name) {
		t.Errorf("the booking 89 days old was changed: %q, was %q", got, recentBefore)
	}

	// A second run finds nothing and writes nothing.
	if again := s.eraseExpired(); again.total() != 0 {
		t.Errorf("second run erased %+v", again)
	}
	if s.dump() != dump {
		t.Errorf("the second run changed the database")
	}

	// Three days on, the recent booking's time has come too.
	s.atInstant(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, 94))
	if n := s.eraseExpired(); n.Bookings != 1 {
		t.Errorf("three days later erased %+v, want the one booking", n)
	}
	if recentRow() != "erased" {
		t.Errorf("the booking is past the period and still holds its details")
	}
}

// TestRetentionRunsInTheBackground: serve's background jobs run the job at
// start, so a server started after the period erases what is due.
func TestRetentionRunsInTheBackground(t *testing.T) {
	clock := frontdoor.NewStoppedClock(monday)
	s := start(t, config{testClock: clock})
	s.setupCentre()
	b := s.book(time.Date(2026, 12, 1, 10, 0, 0, 0, london), "07700 900321")
	setClock(t, clock, monday.AddDate(0, 0, 120))
	wg := s.app.startBackground()
	t.Cleanup(func() { s.app.stop(); wg.Wait() })
	waitUntil(t, 10*time.Second, "the booking to be erased", func() bool {
		return s.count(`SELECT COUNT(*) FROM bookings WHERE reference = ? AND erased_at IS NOT NULL AND phone = ''`, b.Reference) == 1
	})
}

func TestRetentionDaysFlag(t *testing.T) {
	db := t.TempDir() + "/frontdoor.db"
	for _, tc := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"--retention-days", "0"}, "", "--retention-days 0: give a whole number of days, 1 or more"},
		{[]string{"--retention-days=-5"}, "", "--retention-days -5: give a whole number of days, 1 or more"},
		{[]string{"--retention-days", "ninety"}, "", "invalid value"},
		{nil, "0", "--retention-days 0: give a whole number of days, 1 or more"},
		{nil, "-1", "--retention-days -1"},
		{nil, "3 months", `FRONTDOOR_RETENTION_DAYS="3 months"`},
	} {
		t.Run(strings.Join(tc.args, " ")+" env="+tc.env, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("FRONTDOOR_RETENTION_DAYS", tc.env)
			}
			err := serveCommand(t.Context(), append([]string{"--db", db, "--addr", "127.0.0.1:0"}, tc.args...), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
	// The default and a set value reach the job.
	if got := (config{}).retentionDays(); got != 90 {
		t.Errorf("default retention %d days, want 90", got)
	}
	if got := (config{RetentionDays: 30}).retentionDays(); got != 30 {
		t.Errorf("retention %d days, want 30", got)
	}
	var help bytes.Buffer
	serveCommand(t.Context(), []string{"--help"}, io.Discard, &help)
	if !strings.Contains(help.String(), "-retention-days") || !strings.Contains(help.String(), "(default 90)") {
		t.Errorf("serve --help does not describe --retention-days:\n%s", help.String())
	}
}

// lineDiff lists the lines of b that differ from a, for a failure message.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out = append(out, fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, x, y))
		}
	}
	return strings.Join(out, "\n")
}

var nonceRE = regexp.MustCompile(`nonce="[^"]*"`)

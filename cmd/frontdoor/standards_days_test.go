package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"frontdoor"
	"frontdoor/queue"
)

// The report keeps closed days' figures (queue/standards_days.go), in
// memory and in standards_days. What it answers from them must be what
// reading every ticket again gives: the same bytes from a second request,
// and from a fresh service on the same file; a day not yet closed must not
// be kept; an unreadable kept day is worked out again.
func TestStandardsReportKeepsOnlyClosedDays(t *testing.T) {
	db := filepath.Join(t.TempDir(), "frontdoor.db")
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, london) // Friday
	s := start(t, config{DB: db, testClock: frontdoor.NewStoppedClock(now)})
	s.setupCentre()

	// Monday to Thursday, finished visits of every kind; Wednesday keeps one
	// ticket still waiting, as if the midnight close had not run yet.
	seq := 0
	add := func(day string, kind, status string, arrive, call int, offered bool) {
		t.Helper()
		seq++
		arrived := civilAt(t, day, 9, arrive)
		var called, appt any
		if call >= 0 {
			called = civilAt(t, day, 9, call).UnixMilli()
		}
		if kind == "appointment" {
			appt = civilAt(t, day, 9, 10).UnixMilli()
		}
		err := s.app.db.WithTx(context.Background(), func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO tickets(site_id, service_code, local_day, letter, seq, number, kind, channel, appointment_at,
				arrived_at, due_at, appointment_target_s, first_contact_s, walk_in_target_s, status, desk_id, first_called_at, called_at,
				finished_at, outcome, estimate_s, offered, updated_at)
				VALUES ('city-hall', 'HOU', ?, 'H', ?, ?, ?, ?, ?, ?, ?, 600, 600, 1800, ?, 'desk-1', ?, ?, ?, 'resolved', 300, ?, ?)`,
				day, seq, fmt.Sprintf("H%03d", seq), kind, map[bool]string{true: "online", false: "walk_in"}[kind == "appointment"], appt,
				arrived.UnixMilli(), arrived.Add(30*time.Minute).UnixMilli(), status, called, called, called, offered, arrived.UnixMilli())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, day := range []string{"2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03"} {
		add(day, "appointment", "done", 0, 12, false)  // seen 2 minutes after its time
		add(day, "appointment", "done", 0, 25, false)  // 15 minutes late
		add(day, "walk_in", "done", 5, 20, false)      // first contact missed, walk-in met
		add(day, "walk_in", "done", 5, 50, true)       // offered: first contact met; 45 min: walk-in missed
		add(day, "walk_in", "no_show", 10, 30, false)  // called, never came
		add(day, "walk_in", "withdrawn", 15, -1, true) // took an appointment instead
	}
	add("2026-12-02", "walk_in", "waiting", 40, -1, false)
	add("2026-12-04", "walk_in", "done", 0, 5, false) // today

	const week = "/api/v1/sites/city-hall/reports/standards?from=2026-11-30&to=2026-12-04"
	first := s.must(200, "GET", week, s.Admin, nil).Body
	if again := s.must(200, "GET", week, s.Admin, nil).Body; !bytes.Equal(first, again) {
		t.Fatalf("the second report differs from the first:\n%s\n%s", first, again)
	}
	var rep struct {
		Appointments struct {
			Visits, Within int
			Median         float64 `json:"median_wait_minutes"`
			P90            float64 `json:"p90_wait_minutes"`
		} `json:"appointments"`
		Days []struct {
			Date    string `json:"date"`
			NoShows int    `json:"no_shows"`
		} `json:"days"`
	}
	if err := json.Unmarshal(first, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Appointments.Visits != 8 || rep.Appointments.Within != 4 || len(rep.Days) != 5 {
		t.Fatalf("appointments %+v over %d days, want 4 of 8 over 5 days:\n%s", rep.Appointments, len(rep.Days), first)
	}
	// Merged days keep every wait: four of 2 minutes and four of 15.
	if a := rep.Appointments; a.Median != 2 || a.P90 != 15 {
		t.Errorf("appointment waits: median %v, p90 %v; want 2 and 15", a.Median, a.P90)
	}
	if d := rep.Days[2]; d.Date != "2026-12-02" || d.NoShows != 1 {
		t.Fatalf("Wednesday %+v, want 1 no-show", d)
	}

	// Wednesday was not closed, so it was not kept: its straggler's end shows.
	if _, err := s.app.db.Write.Exec(`UPDATE tickets SET status = 'no_show', finished_at = arrived_at WHERE status = 'waiting'`); err != nil {
		t.Fatal(err)
	}
	closed := s.must(200, "GET", week, s.Admin, nil).Body
	if err := json.Unmarshal(closed, &rep); err != nil {
		t.Fatal(err)
	}
	if d := rep.Days[2]; d.NoShows != 2 {
		t.Errorf("after the midnight close Wednesday has %d no-shows, want 2 (its straggler too)", d.NoShows)
	}

	// A fresh service on the same file, reading every ticket, agrees byte for byte.
	s.stop()
	fresh := start(t, config{DB: db, testClock: frontdoor.NewStoppedClock(now)})
	if got := fresh.must(200, "GET", week, fresh.Admin, nil).Body; !bytes.Equal(got, closed) {
		t.Errorf("a fresh service reports differently from the one that kept its days:\n%s\n%s", got, closed)
	}
	// The closed days were kept in the database, and a fresh service reads
	// them rather than the tickets: a change behind its back (which the
	// service never makes to a closed day) does not show until they go.
	if n := fresh.count(`SELECT COUNT(*) FROM standards_days WHERE site_id = 'city-hall'`); n != 4 {
		t.Errorf("%d closed days kept, want 4 (Monday to Thursday, not today)", n)
	}
	fresh.stop()
	again := start(t, config{DB: db, testClock: frontdoor.NewStoppedClock(now)})
	if _, err := again.app.db.Write.Exec(`UPDATE tickets SET status = 'no_show' WHERE local_day = '2026-11-30' AND status = 'done'`); err != nil {
		t.Fatal(err)
	}
	if got := again.must(200, "GET", week, again.Admin, nil).Body; !bytes.Equal(got, closed) {
		t.Errorf("the report did not come from the kept days:\n%s", got)
	}
	again.stop()
	recount := start(t, config{DB: db, testClock: frontdoor.NewStoppedClock(now)})
	if _, err := recount.app.db.Write.Exec(`UPDATE standards_days SET summary = 'not json' WHERE day = '2026-11-30'`); err != nil {
		t.Fatal(err)
	}
	if got := recount.must(200, "GET", week, recount.Admin, nil).Body; bytes.Equal(got, closed) {
		t.Error("an unreadable kept day was not worked out again from its tickets")
	}
	if n := recount.count(`SELECT COUNT(*) FROM standards_days WHERE day = '2026-11-30' AND summary LIKE '{%'`); n != 1 {
		t.Error("the day worked out again was not kept again")
	}
}

func civilAt(t *testing.T, day string, hour, minute int) time.Time {
	t.Helper()
	d, err := time.ParseInLocation(time.DateOnly, day, london)
	if err != nil {
		t.Fatal(err)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, london)
}

// The background job works out and keeps the closed days of the last year
// before anyone asks, and never today.
func TestKeepStandardsInTheBackground(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, london)
	s := start(t, config{testClock: frontdoor.NewStoppedClock(now)})
	s.setupCentre()
	kiosk := s.token(frontdoor.RoleDevice, "city-hall")
	s.must(201, "POST", "/api/v1/sites/city-hall/tickets", kiosk, map[string]any{"service": "HOU"}) // today, still waiting
	if _, err := s.app.db.Write.Exec(`INSERT INTO tickets(site_id, service_code, local_day, letter, seq, number, kind, channel, arrived_at, due_at,
		appointment_target_s, first_contact_s, walk_in_target_s, status, desk_id, first_called_at, called_at, finished_at, updated_at)
		VALUES ('city-hall', 'HOU', '2026-12-02', 'H', 1, 'H001', 'walk_in', 'walk_in', ?, ?, 600, 600, 1800, 'done', 'desk-1', ?, ?, ?, ?)`,
		civilAt(t, "2026-12-02", 9, 0).UnixMilli(), civilAt(t, "2026-12-02", 9, 30).UnixMilli(), civilAt(t, "2026-12-02", 9, 5).UnixMilli(),
		civilAt(t, "2026-12-02", 9, 5).UnixMilli(), civilAt(t, "2026-12-02", 9, 20).UnixMilli(), civilAt(t, "2026-12-02", 9, 20).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if err := s.app.queue.KeepStandards(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := s.count(`SELECT COUNT(*) FROM standards_days WHERE site_id = 'city-hall'`); n != queue.MaxReportDays {
		t.Errorf("%d days kept, want the %d before today", n, queue.MaxReportDays)
	}
	if n := s.count(`SELECT COUNT(*) FROM standards_days WHERE day >= '2026-12-04'`); n != 0 {
		t.Errorf("today was kept while its queue is open")
	}
	if n := s.count(`SELECT COUNT(*) FROM standards_days WHERE day = '2026-12-02' AND summary LIKE '%"v":1%'`); n != 1 {
		t.Errorf("Wednesday's visit is not in its kept day")
	}
}

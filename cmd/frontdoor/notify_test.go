package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"frontdoor"
	"frontdoor/notify"
)

// Texts end to end: the real service on 127.0.0.1 sends through the real
// twilio-go client to a fake Twilio on 127.0.0.1 (fake_twilio_test.go), on a
// stopped clock that the tests move. The sender and the reminder job run
// when a test says so (sendTexts, remind); one test runs them in the
// background as serve does.

var tuesday9 = time.Date(2026, 12, 1, 9, 0, 0, 0, london) // 25 hours after monday

// twilioServer is City Hall on a stopped clock at now, its texts going to a
// fake Twilio.
func twilioServer(t *testing.T, now time.Time) (*testServer, *fakeTwilio, *frontdoor.FakeClock) {
	t.Helper()
	ft := newFakeTwilio(t)
	ft.configure(t)
	clock := frontdoor.NewStoppedClock(now)
	s := start(t, config{testClock: clock})
	s.setupCentre()
	return s, ft, clock
}

// sendTexts runs the sender once: everything due is sent, failed or requeued.
func (s *testServer) sendTexts() int {
	s.t.Helper()
	n, err := s.app.sms.RunOnce(context.Background())
	if err != nil {
		s.t.Fatalf("send texts: %v", err)
	}
	return n
}

// remind runs the reminder job once, at the clock's time.
func (s *testServer) remind() int {
	s.t.Helper()
	n, err := s.app.booking.QueueReminders(context.Background(), s.app.clock.Now(), s.app.reminder)
	if err != nil {
		s.t.Fatalf("queue reminders: %v", err)
	}
	return n
}

type messageRow struct {
	ID                         int64
	DedupeKey, Purpose, To     string
	Body, Status, Note         string
	Attempts                   int
	ProviderID, ProviderStatus sql.NullString
}

// messages reads the outbox rows matching where (SQL after WHERE), by id.
func (s *testServer) messages(where string, args ...any) []messageRow {
	s.t.Helper()
	rows, err := s.app.db.Read.Query(`SELECT id, dedupe_key, purpose, recipient, body, status, status_note, attempts, provider_id, provider_status
		FROM messages WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		s.t.Fatal(err)
	}
	defer rows.Close()
	var out []messageRow
	for rows.Next() {
		var m messageRow
		if err := rows.Scan(&m.ID, &m.DedupeKey, &m.Purpose, &m.To, &m.Body, &m.Status, &m.Note, &m.Attempts, &m.ProviderID, &m.ProviderStatus); err != nil {
			s.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// message is the one outbox row matching where.
func (s *testServer) message(where string, args ...any) messageRow {
	s.t.Helper()
	ms := s.messages(where, args...)
	if len(ms) != 1 {
		s.t.Fatalf("%d messages where %s, want 1: %+v", len(ms), where, ms)
	}
	return ms[0]
}

func setClock(t *testing.T, clock *frontdoor.FakeClock, at time.Time) {
	t.Helper()
	if err := clock.Set(context.Background(), at); err != nil {
		t.Fatal(err)
	}
}

// purposes counts the texts the fake Twilio accepted, by their first word.
func purposes(ms []fakeMessage) map[string]int {
	n := map[string]int{}
	for _, m := range ms {
		w, _, _ := strings.Cut(m.Body, " ")
		n[w]++
	}
	return n
}

func TestNotifyConfirmationReminderCancellation(t *testing.T) {
	s, ft, clock := twilioServer(t, monday)
	b := s.book(tuesday9, "07700 900123")

	if n := s.sendTexts(); n != 1 {
		t.Fatalf("sender dealt with %d messages, want 1", n)
	}
	sent := ft.Sent()
	if len(sent) != 1 || sent[0].To != "+447700900123" || sent[0].From != "+447700900999" ||
		!strings.HasPrefix(sent[0].Body, "Booked: ") || !strings.Contains(sent[0].Body, b.Reference) || !strings.Contains(sent[0].Body, b.ManageURL) {
		t.Fatalf("Twilio got %+v, want one confirmation of %s to +447700900123", sent, b.Reference)
	}
	m := s.message(`purpose = 'confirmation'`)
	if m.Status != notify.StatusSent || m.ProviderID.String != sent[0].SID || m.Attempts != 1 {
		t.Errorf("confirmation row %+v, want sent with SID %s after 1 attempt", m, sent[0].SID)
	}
	if n := s.sendTexts(); n != 0 || len(ft.Sent()) != 1 {
		t.Fatalf("a second run sent again: %d dealt with, %d at Twilio", n, len(ft.Sent()))
	}

	if n := s.remind(); n != 0 {
		t.Fatalf("%d reminders queued at 07:59 the day before, want none until 10:00", n)
	}
	setClock(t, clock, time.Date(2026, 11, 30, 10, 0, 0, 0, london))
	if n := s.remind(); n != 1 {
		t.Fatalf("%d reminders queued at 10:00 the day before, want 1", n)
	}
	if n := s.remind(); n != 0 {
		t.Fatalf("the reminder job queued %d more on a second run", n)
	}
	s.sendTexts()
	setClock(t, clock, time.Date(2026, 11, 30, 17, 0, 0, 0, london))
	s.remind()
	s.sendTexts()
	sent = ft.Sent()
	if p := purposes(sent); len(sent) != 2 || p["Reminder:"] != 1 || !strings.Contains(sent[1].Body, b.Reference) || !strings.Contains(sent[1].Body, "Tue 1 Dec, 9:00am") {
		t.Fatalf("Twilio got %+v, want the confirmation and one reminder for Tue 1 Dec, 9:00am", sent)
	}

	s.must(200, "POST", "/api/v1/bookings/"+b.Reference+"/cancel", b.ManageToken, nil)
	s.sendTexts()
	s.remind()
	s.sendTexts()
	sent = ft.Sent()
	if p := purposes(sent); len(sent) != 3 || p["Booked:"] != 1 || p["Reminder:"] != 1 || p["Cancelled:"] != 1 {
		t.Fatalf("Twilio got %v, want one confirmation, one reminder and one cancellation", p)
	}
	if creates, _, bad := ft.counts(); creates != 3 || bad != 0 {
		t.Errorf("%d create calls (%d refused for auth), want exactly 3", creates, bad)
	}
}

// TestReminderRules: made less than 24 h ahead, or after its reminder time,
// or on a landline: no reminder; moved: one for the new time, when due.
func TestReminderRules(t *testing.T) {
	s, _, clock := twilioServer(t, monday)
	a := s.book(tuesday9, "07700 900123")                                   // 25 h ahead: reminder Mon 10:00
	s.book(time.Date(2026, 12, 1, 9, 20, 0, 0, london), "020 7946 0123")    // a landline: none
	c := s.book(time.Date(2026, 12, 2, 9, 0, 0, 0, london), "07700 900124") // Wed: reminder Tue 10:00, until moved
	s.book(time.Date(2026, 11, 30, 10, 20, 0, 0, london), "07700 900125")   // today: none
	s.must(200, "POST", "/api/v1/bookings/"+c.Reference+"/reschedule", c.ManageToken,
		map[string]string{"start": time.Date(2026, 12, 3, 9, 0, 0, 0, london).Format(time.RFC3339)}) // Thu: reminder Wed 10:00

	setClock(t, clock, time.Date(2026, 11, 30, 11, 0, 0, 0, london))
	s.book(time.Date(2026, 12, 1, 11, 40, 0, 0, london), "07700 900126") // 24 h 40 min ahead, but after its reminder time: none
	if n := s.remind(); n != 1 {
		t.Fatalf("%d reminders at Mon 11:00, want 1 (for %s)", n, a.Reference)
	}
	s.message(`purpose = 'reminder' AND recipient = '+447700900123'`)
	setClock(t, clock, time.Date(2026, 12, 1, 10, 0, 0, 0, london))
	if n := s.remind(); n != 0 {
		t.Fatalf("%d reminders at Tue 10:00, want none (the Wednesday booking moved to Thursday)", n)
	}
	setClock(t, clock, time.Date(2026, 12, 2, 10, 0, 0, 0, london))
	if n := s.remind(); n != 1 {
		t.Fatalf("%d reminders at Wed 10:00, want 1 for the moved booking", n)
	}
	m := s.message(`purpose = 'reminder' AND recipient = '+447700900124'`)
	if !strings.HasSuffix(m.DedupeKey, ":reminder:1") || !strings.Contains(m.Body, "Thu 3 Dec, 9:00am") {
		t.Errorf("moved booking's reminder %q (%s), want one for Thu 3 Dec, 9:00am keyed to its new sequence", m.Body, m.DedupeKey)
	}
	if n := s.count(`SELECT COUNT(*) FROM messages WHERE purpose = 'reminder'`); n != 2 {
		t.Errorf("%d reminders in all, want 2", n)
	}
}

// TestReminderDueAfterClockMove: with the background jobs running as serve
// runs them, a reminder that a clock move makes due reaches Twilio.
func TestReminderDueAfterClockMove(t *testing.T) {
	s, ft, _ := twilioServer(t, monday)
	wg := s.app.startBackground()
	t.Cleanup(func() { s.app.stop(); wg.Wait() })
	b := s.book(tuesday9, "07700 900123")
	waitUntil(t, 10*time.Second, "the confirmation reaches Twilio", func() bool { return len(ft.Sent()) == 1 })
	moved := time.Now()
	s.must(200, "PUT", "/api/v1/clock", s.Admin, map[string]string{"now": time.Date(2026, 11, 30, 10, 0, 0, 0, london).Format(time.RFC3339)})
	waitUntil(t, 10*time.Second, "the reminder reaches Twilio", func() bool { return purposes(ft.Sent())["Reminder:"] == 1 })
	t.Logf("reminder reached Twilio %v after the clock moved", time.Since(moved).Round(time.Millisecond))
	if sent := ft.Sent(); len(sent) != 2 || !strings.Contains(sent[1].Body, b.Reference) {
		t.Errorf("Twilio got %+v", sent)
	}
}

// waitUntil polls cond until it holds, failing the test after limit.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestNotifyRetries503ThenSucceeds(t *testing.T) {
	s, ft, clock := twilioServer(t, monday)
	ft.set(func(f *fakeTwilio) { f.fail, f.failWith = 2, 503 })
	s.book(tuesday9, "07700 900123")
	s.sendTexts()
	m := s.message(`purpose = 'confirmation'`)
	if m.Status != notify.StatusQueued || m.Attempts != 1 || !strings.Contains(m.Note, "503") {
		t.Fatalf("after one 503: %+v, want queued for a retry, 1 attempt, the reason noted", m)
	}
	if n := s.sendTexts(); n != 0 {
		t.Fatalf("retried at once (%d): want to wait for the back-off", n)
	}
	at := monday
	for i := 0; i < 6 && len(ft.Sent()) == 0; i++ {
		at = at.Add(time.Hour)
		setClock(t, clock, at)
		s.sendTexts()
	}
	m = s.message(`purpose = 'confirmation'`)
	creates, lists, _ := ft.counts()
	if sent := ft.Sent(); len(sent) != 1 || m.Status != notify.StatusSent || m.ProviderID.String != sent[0].SID || m.Attempts != 3 || creates != 3 {
		t.Fatalf("Twilio accepted %d (of %d calls); row %+v: want sent once, on the 3rd attempt", len(sent), creates, m)
	}
	if lists != 2 {
		t.Errorf("%d look-ups, want 2: a 5xx may hide an accepted message, so each retry checks first", lists)
	}
	setClock(t, clock, at.Add(24*time.Hour))
	s.sendTexts()
	if len(ft.Sent()) != 1 {
		t.Errorf("sent again later: %d", len(ft.Sent()))
	}
}

func TestNotifyHangTimesOutAndIsRetried(t *testing.T) {
	s, ft, clock := twilioServer(t, monday)
	s.app.sms.Timeout = 300 * time.Millisecond
	ft.set(func(f *fakeTwilio) { f.hang = 1 })
	s.book(tuesday9, "07700 900123")
	s.sendTexts()
	if m := s.message(`purpose = 'confirmation'`); m.Status != notify.StatusQueued || !strings.Contains(m.Note, "did not answer") {
		t.Fatalf("after a hang: %+v, want queued with the timeout noted", m)
	}
	setClock(t, clock, monday.Add(time.Minute))
	s.sendTexts()
	creates, lists, _ := ft.counts()
	m := s.message(`purpose = 'confirmation'`)
	if sent := ft.Sent(); len(sent) != 1 || creates != 2 || lists != 1 || m.Status != notify.StatusSent || m.ProviderID.String != sent[0].SID {
		t.Fatalf("Twilio accepted %d of %d calls (%d look-ups); row %+v: want looked up, not found, sent once", len(sent), creates, lists, m)
	}
}

func TestNotifyTimeoutAfterTwilioAcceptedIsFoundNotResent(t *testing.T) {
	s, ft, clock := twilioServer(t, monday)
	s.app.sms.Timeout = 300 * time.Millisecond
	ft.set(func(f *fakeTwilio) { f.hangKept = 1 })
	s.book(tuesday9, "07700 900123")
	s.sendTexts()
	if len(ft.Sent()) != 1 {
		t.Fatal("the fake Twilio did not accept the first attempt")
	}
	setClock(t, clock, monday.Add(time.Minute))
	s.sendTexts()
	creates, _, _ := ft.counts()
	m := s.message(`purpose = 'confirmation'`)
	if sent := ft.Sent(); len(sent) != 1 || creates != 1 || m.Status != notify.StatusSent || m.ProviderID.String != sent[0].SID {
		t.Fatalf("%d create calls; row %+v: want the accepted message found by look-up (SID %s), not sent again", creates, m, ft.Sent()[0].SID)
	}
}

func TestNotifyPermanentFailureNotRetried(t *testing.T) {
	s, ft, clock := twilioServer(t, monday)
	ft.set(func(f *fakeTwilio) { f.reject["+447700900124"] = 21211 })
	s.book(tuesday9, "07700 900124")
	s.sendTexts()
	m := s.message(`purpose = 'confirmation'`)
	if m.Status != notify.StatusFailed || !strings.Contains(m.Note, "not a valid phone number") || !strings.Contains(m.Note, "21211") {
		t.Fatalf("row %+v, want failed with the reason", m)
	}
	setClock(t, clock, monday.Add(6*time.Hour))
	s.sendTexts()
	if creates, _, _ := ft.counts(); creates != 1 {
		t.Errorf("%d create calls, want 1: a permanent failure is not retried", creates)
	}
	out, err := notify.Outbox(context.Background(), s.app.db, "city-hall", 10)
	if err != nil || len(out) != 1 || out[0].Status != notify.StatusFailed || out[0].Note != m.Note {
		t.Errorf("Outbox = %+v, %v; want the failed message for staff", out, err)
	}
}

func TestNotifyOptedOutAtTwilio(t *testing.T) {
	s, ft, _ := twilioServer(t, monday)
	ft.set(func(f *fakeTwilio) { f.reject["+447700900123"] = 21610 })
	b := s.book(tuesday9, "07700 900123")
	s.sendTexts()
	if m := s.message(`purpose = 'confirmation'`); m.Status != notify.StatusFailed || !strings.Contains(m.Note, "21610") {
		t.Fatalf("row %+v, want failed: opted out", m)
	}
	s.must(200, "POST", "/api/v1/bookings/"+b.Reference+"/cancel", b.ManageToken, nil)
	s.sendTexts()
	if m := s.message(`purpose = 'cancellation'`); m.Status != notify.StatusNotSent || !strings.Contains(m.Note, "opted out") {
		t.Errorf("row %+v, want not sent: the number opted out", m)
	}
	if creates, _, _ := ft.counts(); creates != 1 {
		t.Errorf("%d create calls, want 1", creates)
	}
}

// TestNotifyCrashBeforeSending: the process dies with a text queued; the
// next one sends it, once.
func TestNotifyCrashBeforeSending(t *testing.T) {
	ft := newFakeTwilio(t)
	ft.configure(t)
	clock := frontdoor.NewStoppedClock(monday)
	db := filepath.Join(t.TempDir(), "frontdoor.db")
	s1 := start(t, config{DB: db, testClock: clock})
	s1.setupCentre()
	b := s1.book(tuesday9, "07700 900123")
	s1.stop()
	if len(ft.Sent()) != 0 {
		t.Fatal("sent before the crash")
	}
	s2 := start(t, config{DB: db, testClock: clock})
	s2.sendTexts()
	s2.sendTexts()
	if sent := ft.Sent(); len(sent) != 1 || !strings.Contains(sent[0].Body, b.Reference) {
		t.Fatalf("after the restart Twilio got %+v, want the confirmation once", sent)
	}
}

// TestNotifyCrashMidSend stops the process while Twilio holds the send: the
// claim is committed, the answer never recorded. After a restart the message
// is found at Twilio if Twilio took it, or sent once if it did not.
func TestNotifyCrashMidSend(t *testing.T) {
	for _, accepted := range []bool{true, false} {
		name := map[bool]string{true: "Twilio had accepted it", false: "Twilio never got it"}[accepted]
		t.Run(name, func(t *testing.T) {
			ft := newFakeTwilio(t)
			ft.configure(t)
			clock := frontdoor.NewStoppedClock(monday)
			db := filepath.Join(t.TempDir(), "frontdoor.db")
			s1 := start(t, config{DB: db, testClock: clock})
			s1.setupCentre()
			s1.book(tuesday9, "07700 900123")
			s1.app.sms.Timeout = time.Minute
			ft.set(func(f *fakeTwilio) {
				if accepted {
					f.hangKept = 1
				} else {
					f.hang = 1
				}
			})
			done := make(chan error, 1)
			go func() {
				_, err := s1.app.sms.RunOnce(context.Background())
				done <- err
			}()
			waitUntil(t, 10*time.Second, "the send to reach Twilio", func() bool { c, _, _ := ft.counts(); return c == 1 })
			s1.stop() // the process dies here: the database is gone before Twilio answers
			ft.Release()
			if err := <-done; err == nil {
				t.Fatal("the stopped sender recorded its answer: the crash was not simulated")
			}

			s2 := start(t, config{DB: db, testClock: clock})
			if n := s2.count(`SELECT COUNT(*) FROM messages WHERE status = 'sending'`); n != 1 {
				t.Fatalf("%d messages left in sending after the crash, want 1", n)
			}
			s2.sendTexts()
			s2.sendTexts()
			creates, lists, _ := ft.counts()
			sent := ft.Sent()
			m := s2.message(`purpose = 'confirmation'`)
			if len(sent) != 1 || m.Status != notify.StatusSent || m.ProviderID.String != sent[0].SID || lists != 1 {
				t.Fatalf("Twilio holds %d messages (%d create calls, %d look-ups); row %+v: want exactly one, recorded", len(sent), creates, lists, m)
			}
			if want := map[bool]int{true: 1, false: 2}[accepted]; creates != want {
				t.Errorf("%d create calls, want %d", creates, want)
			}
		})
	}
}

// twilioPost posts a form to a webhook with the given signature ("" for none).
func (s *testServer) twilioPost(path, body, sig string) response {
	s.t.Helper()
	req, err := http.NewRequest("POST", s.URL+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sig != "" {
		req.Header.Set("X-Twilio-Signature", sig)
	}
	r, err := roundTrip(http.DefaultClient, req)
	if err != nil {
		s.t.Fatal(err)
	}
	return r
}

// twilioSigned posts form signed as Twilio signs it, against --base-url + path.
func (s *testServer) twilioSigned(ft *fakeTwilio, path string, form url.Values) response {
	s.t.Helper()
	return s.twilioPost(path, form.Encode(), twilioSignature(ft.Token, s.app.cfg.BaseURL+path, form))
}

func inbound(ft *fakeTwilio, from, body string) url.Values {
	return url.Values{"AccountSid": {ft.SID}, "MessageSid": {"SM" + randomHex(16)}, "From": {from}, "To": {"+447700900999"},
		"Body": {body}, "NumMedia": {"0"}, "NumSegments": {"1"}}
}

func isEmptyTwiML(r response) bool {
	return r.Status == 200 && strings.HasPrefix(r.Header.Get("Content-Type"), "text/xml") && strings.Contains(string(r.Body), "<Response/>")
}

func (s *testServer) slotFree(day string, at time.Time) bool {
	s.t.Helper()
	var got struct {
		Slots []struct {
			Start time.Time `json:"start"`
		} `json:"slots"`
	}
	s.must(200, "GET", "/api/v1/sites/city-hall/services/HOU/slots?from="+day+"&to="+day, "", nil).JSON(s.t, &got)
	for _, sl := range got.Slots {
		if sl.Start.Equal(at) {
			return true
		}
	}
	return false
}

func TestSMSCancelReply(t *testing.T) {
	s, ft, _ := twilioServer(t, monday)
	b := s.book(tuesday9, "07700 900123")
	s.sendTexts()
	if s.slotFree("2026-12-01", tuesday9) {
		t.Fatal("the booked slot is listed free")
	}

	r := s.twilioSigned(ft, "/webhooks/twilio/sms", inbound(ft, "+447700900123", "  cancel \n"))
	if !isEmptyTwiML(r) {
		t.Fatalf("inbound CANCEL: %d %s %q, want 200 empty TwiML", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	var got bookingAnswer
	s.must(200, "GET", "/api/v1/bookings/"+b.Reference, b.ManageToken, nil).JSON(t, &got)
	if got.Status != "cancelled" {
		t.Fatalf("booking is %s after CANCEL, want cancelled", got.Status)
	}
	if !s.slotFree("2026-12-01", tuesday9) {
		t.Error("the slot is not free again after CANCEL")
	}
	reply := s.message(`purpose = 'cancellation'`)
	if reply.To != "+447700900123" || !strings.HasPrefix(reply.Body, "Cancelled as you asked: ") || !strings.Contains(reply.Body, b.Reference) {
		t.Errorf("reply %+v, want a confirmation of the cancellation", reply)
	}
	s.sendTexts()
	if p := purposes(ft.Sent()); p["Cancelled"] != 1 || len(ft.Sent()) != 2 {
		t.Errorf("Twilio got %v, want the confirmation and one cancellation reply", p)
	}

	// Sent again (a double tap): the booking is already cancelled, nothing more.
	before := s.dump()
	if r := s.twilioSigned(ft, "/webhooks/twilio/sms", inbound(ft, "+447700900123", "CANCEL")); !isEmptyTwiML(r) {
		t.Fatalf("second CANCEL: %d %s", r.Status, r.Body)
	}
	if s.dump() != before {
		t.Error("a second CANCEL changed something")
	}
}

func TestSMSCancelAfterArrivalIsRefusedPolitely(t *testing.T) {
	s, ft, clock := twilioServer(t, monday)
	b := s.book(tuesday9, "07700 900123")
	setClock(t, clock, tuesday9.Add(-5*time.Minute))
	s.must(201, "POST", "/api/v1/checkins", s.Admin, map[string]string{"reference": b.Reference})
	s.twilioSigned(ft, "/webhooks/twilio/sms", inbound(ft, "+447700900123", "Cancel"))
	reply := s.message(`purpose = 'reply'`)
	if reply.Body != notify.NothingToCancelText() {
		t.Errorf("reply %q, want the nothing-to-cancel text", reply.Body)
	}
	if n := s.count(`SELECT COUNT(*) FROM bookings WHERE status = 'checked_in'`); n != 1 {
		t.Error("the checked-in booking changed")
	}
}

func TestWebhookSignature(t *testing.T) {
	s, ft, _ := twilioServer(t, monday)
	b := s.book(tuesday9, "07700 900123")
	s.sendTexts()
	form := inbound(ft, "+447700900123", "CANCEL")
	before := s.dump()
	for _, c := range []struct {
		name, path, sig string
		status          int
		code            string
	}{
		{"sms, no signature", "/webhooks/twilio/sms", "", 401, "signature_missing"},
		{"sms, wrong signature", "/webhooks/twilio/sms", "bm90IGEgc2lnbmF0dXJl", 403, "signature_invalid"},
		{"sms, signed with another token", "/webhooks/twilio/sms", twilioSignature("wrongtoken", s.app.cfg.BaseURL+"/webhooks/twilio/sms", form), 403, "signature_invalid"},
		{"sms, signed for another URL", "/webhooks/twilio/sms", twilioSignature(ft.Token, "https://evil.example/webhooks/twilio/sms", form), 403, "signature_invalid"},
		{"sms, signed for the status path", "/webhooks/twilio/sms", twilioSignature(ft.Token, s.app.cfg.BaseURL+"/webhooks/twilio/status", form), 403, "signature_invalid"},
		{"status, no signature", "/webhooks/twilio/status", "", 401, "signature_missing"},
		{"status, wrong signature", "/webhooks/twilio/status", "bm90IGEgc2lnbmF0dXJl", 403, "signature_invalid"},
	} {
		r := s.twilioPost(c.path, form.Encode(), c.sig)
		if r.Status != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, r.Status, c.status, r.Body)
			continue
		}
		if code, _ := r.ErrorCode(t); code != c.code {
			t.Errorf("%s: code %q, want %q", c.name, code, c.code)
		}
	}
	// A body changed after signing.
	sig := twilioSignature(ft.Token, s.app.cfg.BaseURL+"/webhooks/twilio/sms", inbound(ft, "+447700900123", "hello"))
	if r := s.twilioPost("/webhooks/twilio/sms", form.Encode(), sig); r.Status != 403 {
		t.Errorf("tampered body: status %d, want 403", r.Status)
	}
	if s.dump() != before {
		t.Fatal("a refused webhook changed the database")
	}
	var got bookingAnswer
	s.must(200, "GET", "/api/v1/bookings/"+b.Reference, b.ManageToken, nil).JSON(t, &got)
	if got.Status != "booked" {
		t.Errorf("booking is %s", got.Status)
	}
}

func TestWebhookBadInput(t *testing.T) {
	s, ft, _ := twilioServer(t, monday)
	s.book(tuesday9, "07700 900123")
	s.sendTexts()
	sid := ft.Sent()[0].SID
	sms, status := "/webhooks/twilio/sms", "/webhooks/twilio/status"
	huge := inbound(ft, "+447700900123", strings.Repeat("CANCEL ", 20000)).Encode()
	junk := "%zz&&=%%=CANCEL"
	// signed signs a raw body as Twilio would have: over the fields it parses to.
	signed := func(path, body string) string {
		form, _ := url.ParseQuery(body)
		return twilioSignature(ft.Token, s.app.cfg.BaseURL+path, form)
	}
	before := s.dump()
	for _, c := range []struct {
		name, path, body string
		want             int
	}{
		{"unknown number, CANCEL", sms, inbound(ft, "+447700900555", "CANCEL").Encode(), 200},
		{"unknown number, hello", sms, inbound(ft, "+447700900555", "hello").Encode(), 200},
		{"unknown number, 5", sms, inbound(ft, "+447700900555", "5").Encode(), 200},
		{"empty text", sms, inbound(ft, "+447700900123", "").Encode(), 200},
		{"blank text", sms, inbound(ft, "+447700900123", " \n ").Encode(), 200},
		{"empty body", sms, "", 200},
		{"not a number", sms, inbound(ft, "07700 900123'; DROP TABLE", "CANCEL").Encode(), 200},
		{"over-long text", sms, inbound(ft, "+447700900123", strings.Repeat("x", 1700)).Encode(), 200},
		{"huge body", sms, huge, 400},
		{"form junk", sms, junk, 403},
		{"JSON instead of a form", sms, `{"From":"+447700900123","Body":"CANCEL"}`, 200},
		{"status: unknown value", status, url.Values{"MessageSid": {sid}, "MessageStatus": {"exploded"}}.Encode(), 200},
		{"status: unknown SID", status, url.Values{"MessageSid": {"SMnot"}, "MessageStatus": {"delivered"}}.Encode(), 200},
		{"status: no SID", status, url.Values{"MessageStatus": {"delivered"}}.Encode(), 200},
		{"status: junk error code", status, url.Values{"MessageSid": {sid}, "MessageStatus": {"exploded"}, "ErrorCode": {"<script>"}}.Encode(), 200},
		{"status: empty body", status, "", 200},
		{"status: huge body", status, huge, 400},
		{"status: form junk", status, junk, 403},
	} {
		sig := signed(c.path, c.body)
		r := s.twilioPost(c.path, c.body, sig)
		if r.Status != c.want {
			t.Errorf("%s: status %d, want %d: %.200s", c.name, r.Status, c.want, r.Body)
		}
		if r.Status >= 500 {
			t.Errorf("%s: a 500 for bad input", c.name)
		}
		if after := s.dump(); after != before {
			t.Fatalf("%s changed the database", c.name)
		}
	}
}

func TestWebhookStatusCallback(t *testing.T) {
	s, ft, _ := twilioServer(t, monday)
	s.book(tuesday9, "07700 900123")
	s.book(time.Date(2026, 12, 1, 9, 20, 0, 0, london), "07700 900124")
	s.sendTexts()
	sent := ft.Sent()
	report := func(sid, status, code string) {
		t.Helper()
		form := url.Values{"MessageSid": {sid}, "MessageStatus": {status}, "AccountSid": {ft.SID}, "To": {"+447700900123"}}
		if code != "" {
			form.Set("ErrorCode", code)
		}
		if r := s.twilioSigned(ft, "/webhooks/twilio/status", form); !isEmptyTwiML(r) {
			t.Fatalf("status %s: %d %s", status, r.Status, r.Body)
		}
	}
	report(sent[0].SID, "sent", "")
	report(sent[0].SID, "delivered", "")
	report(sent[0].SID, "sent", "") // late: must not undo delivered
	if m := s.message(`provider_id = ?`, sent[0].SID); m.Status != notify.StatusDelivered || m.ProviderStatus.String != "delivered" {
		t.Errorf("row %+v, want delivered", m)
	}
	report(sent[1].SID, "undelivered", "30003")
	m := s.message(`provider_id = ?`, sent[1].SID)
	if m.Status != notify.StatusFailed || !strings.Contains(m.Note, "unreachable") || !strings.Contains(m.Note, "30003") {
		t.Errorf("row %+v, want failed: not delivered, phone unreachable (30003)", m)
	}
}

func TestSMSStopStartAndHelp(t *testing.T) {
	s, ft, _ := twilioServer(t, monday)
	b := s.book(tuesday9, "07700 900123")
	s.sendTexts()
	messagesBefore := s.count(`SELECT COUNT(*) FROM messages`)

	s.twilioSigned(ft, "/webhooks/twilio/sms", inbound(ft, "+447700900123", "Stop"))
	if n := s.count(`SELECT COUNT(*) FROM sms_opt_outs WHERE phone = '+447700900123'`); n != 1 {
		t.Fatal("STOP did not record an opt-out")
	}
	if n := s.count(`SELECT COUNT(*) FROM messages`); n != messagesBefore {
		t.Error("STOP queued a reply: Twilio acknowledges STOP itself")
	}
	s.must(200, "POST", "/api/v1/bookings/"+b.Reference+"/reschedule", b.ManageToken, map[string]string{"start": tuesday9.Add(20 * time.Minute).Format(time.RFC3339)})
	s.sendTexts()
	if m := s.message(`purpose = 'change'`); m.Status != notify.StatusNotSent || !strings.Contains(m.Note, "opted out") {
		t.Errorf("change text to an opted-out number: %+v", m)
	}
	s.twilioSigned(ft, "/webhooks/twilio/sms", inbound(ft, "+447700900123", "START"))
	s.must(200, "POST", "/api/v1/bookings/"+b.Reference+"/reschedule", b.ManageToken, map[string]string{"start": tuesday9.Add(40 * time.Minute).Format(time.RFC3339)})
	s.sendTexts()
	if p := purposes(ft.Sent()); p["Changed:"] != 1 {
		t.Errorf("after START Twilio got %v, want the second change text", p)
	}

	s.twilioSigned(ft, "/webhooks/twilio/sms", inbound(ft, "+447700900123", "what is this?"))
	s.twilioSigned(ft, "/webhooks/twilio/sms", inbound(ft, "+447700900123", "hello??"))
	help := s.message(`purpose = 'reply'`)
	if help.Body != notify.HelpText("City Hall") {
		t.Errorf("help reply %q", help.Body)
	}
	s.sendTexts()
	if got := ft.Sent(); got[len(got)-1].Body != notify.HelpText("City Hall") {
		t.Errorf("Twilio's last text %q, want the help reply", got[len(got)-1].Body)
	}
}

func TestSMSCalledAndSatisfaction(t *testing.T) {
	s, ft, clock := twilioServer(t, monday)
	s.must(200, "PUT", "/api/v1/sites/city-hall/sms-settings", s.Admin, map[string]bool{"satisfaction_question": true})
	b := s.book(tuesday9, "07700 900123")
	setClock(t, clock, tuesday9.Add(-10*time.Minute))
	s.must(201, "POST", "/api/v1/checkins", s.Admin, map[string]string{"reference": b.Reference})
	s.must(201, "POST", "/api/v1/sites/city-hall/tickets", s.Admin, map[string]string{"service": "CTX", "phone": "07700 900125"})
	s.must(201, "POST", "/api/v1/sites/city-hall/tickets", s.Admin, map[string]string{"service": "CTX"}) // no phone: no texts
	setClock(t, clock, tuesday9)
	for range 3 {
		s.must(200, "POST", "/api/v1/desks/desk-1/call-next", s.Admin, nil)
	}
	called := s.messages(`purpose = 'called'`)
	if len(called) != 2 {
		t.Fatalf("%d 'please go to desk' texts, want 2 (the appointment's mobile and the walk-in's): %+v", len(called), called)
	}
	for _, m := range called {
		if !strings.HasSuffix(m.Body, ": please go to Desk 1 now.") {
			t.Errorf("called text %q", m.Body)
		}
	}
	s.must(204, "POST", "/api/v1/desks/desk-1/call-next", s.Admin, nil) // finishes the last visit
	asked := s.messages(`purpose = 'satisfaction'`)
	if len(asked) != 2 {
		t.Fatalf("%d satisfaction questions, want 2: %+v", len(asked), asked)
	}
	s.sendTexts()
	if p := purposes(ft.Sent()); p["Thank"] != 2 {
		t.Errorf("Twilio got %v", p)
	}
	s.twilioSigned(ft, "/webhooks/twilio/sms", inbound(ft, "+447700900125", "4"))
	s.twilioSigned(ft, "/webhooks/twilio/sms", inbound(ft, "+447700900125", " 5 "))
	if n := s.count(`SELECT score FROM satisfaction_scores WHERE message_id = (SELECT id FROM messages WHERE purpose = 'satisfaction' AND recipient = '+447700900125')`); n != 5 {
		t.Errorf("score %d, want 5 (the later answer)", n)
	}
	if n := s.count(`SELECT COUNT(*) FROM satisfaction_scores`); n != 1 {
		t.Errorf("%d scores, want 1", n)
	}
	if n := s.count(`SELECT COUNT(*) FROM messages WHERE purpose = 'reply'`); n != 0 {
		t.Errorf("%d replies to a score, want none", n)
	}
	// The other visitor answers too; the report counts both replies of the day.
	s.twilioSigned(ft, "/webhooks/twilio/sms", inbound(ft, "+447700900123", "2"))
	var rep struct {
		Satisfaction struct {
			Replies int     `json:"replies"`
			Mean    float64 `json:"mean_score"`
		} `json:"satisfaction"`
	}
	s.must(200, "GET", "/api/v1/sites/city-hall/reports/standards?from=2026-12-01&to=2026-12-01", s.Admin, nil).JSON(t, &rep)
	if rep.Satisfaction.Replies != 2 || rep.Satisfaction.Mean != 3.5 {
		t.Errorf("report satisfaction %+v, want 2 replies averaging 3.5", rep.Satisfaction)
	}
	s.must(200, "GET", "/api/v1/sites/city-hall/reports/standards?from=2026-12-02&to=2026-12-02", s.Admin, nil).JSON(t, &rep)
	if rep.Satisfaction.Replies != 0 {
		t.Errorf("the next day's report counts %d replies", rep.Satisfaction.Replies)
	}
}

func TestOutboxWithoutTwilio(t *testing.T) {
	for _, k := range []string{"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "FRONTDOOR_SMS_FROM", "FRONTDOOR_TWILIO_API_URL"} {
		t.Setenv(k, "")
	}
	s := start(t, config{testClock: frontdoor.NewStoppedClock(monday)})
	s.setupCentre()
	b := s.book(tuesday9, "07700 900123")
	s.sendTexts()
	m := s.message(`purpose = 'confirmation'`)
	if m.Status != notify.StatusNotSent || m.Note != "not sent: SMS not configured" {
		t.Fatalf("row %+v, want not_sent: SMS not configured", m)
	}
	out, err := notify.Outbox(context.Background(), s.app.db, "city-hall", 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].To != "+447700900123" || !strings.Contains(out[0].Body, b.Reference) || out[0].Note != "not sent: SMS not configured" {
		t.Errorf("Outbox = %+v, want the confirmation, with why it was not sent", out)
	}
	// Webhooks cannot be verified without the auth token: refused, nothing changed.
	before := s.dump()
	form := url.Values{"From": {"+447700900123"}, "Body": {"CANCEL"}}
	if r := s.twilioPost("/webhooks/twilio/sms", form.Encode(), twilioSignature("", s.URL+"/webhooks/twilio/sms", form)); r.Status != 403 {
		t.Errorf("webhook without SMS configured: %d, want 403", r.Status)
	}
	if s.dump() != before {
		t.Error("changed")
	}
}

// TestNotifySenderOneAtATime: runs racing each other still send each text once.
func TestNotifySenderOneAtATime(t *testing.T) {
	s, ft, _ := twilioServer(t, monday)
	for i := range 9 {
		s.book(tuesday9.Add(time.Duration(i)*20*time.Minute), "07700 90012"+string(rune('1'+i)))
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { s.app.sms.RunOnce(context.Background()) })
	}
	wg.Wait()
	if creates, _, _ := ft.counts(); creates != 9 || len(ft.Sent()) != 9 {
		t.Errorf("%d create calls for 9 texts", creates)
	}
}

// Benchmarks of the outbox (docs/benchmarks.md, "Notify"):
//
//	go test ./cmd/frontdoor -run '^$' -bench 'Notify' -benchtime 4000x -count 5
//
// BenchmarkNotifyOutbox drains N queued texts through the real twilio-go
// client to the fake Twilio on loopback: claim, send, record, one at a time
// as the one sender goroutine does. BenchmarkNotifyBookingCost books through
// HTTP with a landline (no text queued) and with a mobile (the confirmation
// queued in the booking's transaction).

func BenchmarkNotifyOutbox(b *testing.B) {
	ft := newFakeTwilio(b)
	ft.configure(b)
	s := start(b, config{testClock: frontdoor.NewStoppedClock(monday)})
	ctx := context.Background()
	body := "Booked: Housing options, Tue 1 Dec, 9:30am at City Hall. Ref HXK4QP. Change or cancel: https://frontdoor.example.gov.uk/manage/HXK4QP/abcdefghijklmnopqrstuvwx"
	err := s.app.db.WithTx(ctx, func(tx *sql.Tx) error {
		for i := range b.N {
			if _, err := notify.Enqueue(ctx, tx, monday, notify.Message{DedupeKey: "bench:" + strconv.Itoa(i), Purpose: notify.PurposeConfirmation,
				To: fmt.Sprintf("+4474%08d", i), Body: body}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	t0 := time.Now()
	n, err := s.app.sms.RunOnce(ctx)
	elapsed := time.Since(t0)
	b.StopTimer()
	if err != nil || n != b.N || len(ft.Sent()) != b.N {
		b.Fatalf("sent %d of %d (%d at Twilio): %v", n, b.N, len(ft.Sent()), err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}

func BenchmarkNotifyBookingCost(b *testing.B) {
	for _, c := range []struct {
		name  string
		phone func(i int) string
	}{
		{"landline", func(i int) string { return fmt.Sprintf("+44113496%04d", i%1000) }}, // no text queued
		{"mobile", func(i int) string { return fmt.Sprintf("+4474%08d", i) }},            // the confirmation queued
	} {
		b.Run(c.name, func(b *testing.B) {
			s, starts := benchCentre(b)
			const clients = 16
			hc := benchClient(clients)
			load(b, clients, func(i int) error {
				body := fmt.Sprintf(`{"site":"bench","service":"HOU","start":%q,"name":"Load Test","phone":%q}`,
					starts[i%len(starts)].Format(time.RFC3339), c.phone(i))
				resp, err := hc.Post(s.URL+"/api/v1/bookings", "application/json", strings.NewReader(body))
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				if resp.StatusCode != 201 {
					return fmt.Errorf("status %d", resp.StatusCode)
				}
				return drain(resp)
			})
			b.StopTimer()
			want := map[string]int{"landline": 0, "mobile": b.N}[c.name]
			if n := s.count(`SELECT COUNT(*) FROM messages`); n != want {
				b.Fatalf("%d texts queued, want %d", n, want)
			}
		})
	}
}

// TestNotifyKilledProcess runs `frontdoor serve` as a real process, kills it
// (SIGKILL) while Twilio holds its send, and starts it again on the same
// database: the text reaches the phone exactly once, whether Twilio had
// accepted it before the kill or never got it.
func TestNotifyKilledProcess(t *testing.T) {
	if args, ok := os.LookupEnv("FD_TEST_NOTIFY_SERVE"); ok {
		os.Args = append([]string{"frontdoor"}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	for _, accepted := range []bool{true, false} {
		name := map[bool]string{true: "Twilio had accepted it", false: "Twilio never got it"}[accepted]
		t.Run(name, func(t *testing.T) {
			ft := newFakeTwilio(t)
			ft.set(func(f *fakeTwilio) {
				if accepted {
					f.hangKept = 1
				} else {
					f.hang = 1
				}
			})
			db := filepath.Join(t.TempDir(), "frontdoor.db")
			var out, errs strings.Builder
			if err := run(context.Background(), []string{"token", "create", "--role", "admin", "--name", "test", "--db", db}, &out, &errs); err != nil {
				t.Fatalf("token create: %v %s", err, errs.String())
			}
			admin := strings.TrimSpace(out.String())
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			serve := func() *exec.Cmd {
				cmd := exec.Command(os.Args[0], "-test.run=^TestNotifyKilledProcess$")
				cmd.Env = append(os.Environ(), "FD_TEST_NOTIFY_SERVE=serve --fake-clock --db "+db+" --addr "+addr,
					"TWILIO_ACCOUNT_SID="+ft.SID, "TWILIO_AUTH_TOKEN="+ft.Token, "FRONTDOOR_SMS_FROM=+447700900999",
					"FRONTDOOR_TWILIO_API_URL="+ft.srv.URL)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
				waitUntil(t, 30*time.Second, "frontdoor serve to answer", func() bool {
					resp, err := http.Get("http://" + addr + "/healthz")
					if err == nil {
						resp.Body.Close()
					}
					return err == nil && resp.StatusCode == 200
				})
				return cmd
			}

			first := serve()
			s := &testServer{t: t, URL: "http://" + addr, Admin: admin}
			// A Monday at least a week ahead, 07:59: the clock only moves forwards.
			day := time.Now().In(london).AddDate(0, 0, 7)
			for day.Weekday() != time.Monday {
				day = day.AddDate(0, 0, 1)
			}
			y, m, d := day.Date()
			s.must(200, "PUT", "/api/v1/clock", admin, map[string]string{"now": time.Date(y, m, d, 7, 59, 0, 0, london).Format(time.RFC3339)})
			s.setupCentre()
			b := s.book(time.Date(y, m, d, 10, 20, 0, 0, london), "07700 900123")
			waitUntil(t, 30*time.Second, "the send to reach Twilio", func() bool { c, _, _ := ft.counts(); return c == 1 })
			if err := first.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			first.Wait()
			ft.Release()

			serve()
			waitUntil(t, 30*time.Second, "the confirmation to be settled", func() bool {
				var status string
				dbr, err := sql.Open("sqlite3", "file:"+db+"?mode=ro&_busy_timeout=5000")
				if err != nil {
					return false
				}
				defer dbr.Close()
				dbr.QueryRow(`SELECT status FROM messages WHERE purpose = 'confirmation'`).Scan(&status)
				return status == notify.StatusSent
			})
			creates, lists, _ := ft.counts()
			sent := ft.Sent()
			if len(sent) != 1 || !strings.Contains(sent[0].Body, b.Reference) || lists < 1 {
				t.Fatalf("Twilio holds %+v after %d create calls and %d look-ups: want the confirmation once, checked for", sent, creates, lists)
			}
			if want := map[bool]int{true: 1, false: 2}[accepted]; creates != want {
				t.Errorf("%d create calls, want %d", creates, want)
			}
		})
	}
}

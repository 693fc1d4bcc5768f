package main

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// freeTimes is the day's free HOU times at City Hall as the slots API lists them.
func (s *testServer) freeTimes(day string) string {
	s.t.Helper()
	var out struct {
		Slots []struct {
			Start     time.Time `json:"start"`
			Remaining int       `json:"remaining"`
		} `json:"slots"`
	}
	s.must(200, "GET", "/api/v1/sites/city-hall/services/HOU/slots?from="+day+"&to="+day, "", nil).JSON(s.t, &out)
	var times []string
	for _, sl := range out.Slots {
		times = append(times, sl.Start.In(london).Format("15:04"))
	}
	return strings.Join(times, " ")
}

// Slot lists are kept between requests (booking/places.go); every change
// of places must show in the very next list: booking, cancelling, moving.
func TestSlotListsFollowEveryChangeOfPlaces(t *testing.T) {
	s := bookingServer(t, monday)
	const day = "2026-11-30"
	at := func(hhmm string) time.Time {
		t, _ := time.ParseInLocation("2006-01-02 15:04", day+" "+hhmm, london)
		return t
	}
	steps := []struct {
		what string
		do   func()
		want string
	}{
		{"at first", func() {}, "10:00 10:20 10:40 11:00 11:20 11:40"},
		{"after booking 10:00", func() { s.book(at("10:00"), "07700 900001") }, "10:20 10:40 11:00 11:20 11:40"},
		{"after booking 10:20 and cancelling it", func() {
			b := s.book(at("10:20"), "07700 900002")
			if got := s.freeTimes(day); strings.Contains(got, "10:20") {
				t.Fatalf("10:20 listed free while booked: %s", got)
			}
			s.must(200, "POST", "/api/v1/bookings/"+b.Reference+"/cancel", b.ManageToken, nil)
		}, "10:20 10:40 11:00 11:20 11:40"},
		{"after booking 10:40 and moving it to 11:20", func() {
			b := s.book(at("10:40"), "07700 900003")
			if got := s.freeTimes(day); strings.Contains(got, "10:40") {
				t.Fatalf("10:40 listed free while booked: %s", got)
			}
			s.must(200, "POST", "/api/v1/bookings/"+b.Reference+"/reschedule", b.ManageToken, map[string]string{"start": at("11:20").Format(time.RFC3339)})
		}, "10:20 10:40 11:00 11:40"},
	}
	for _, st := range steps {
		st.do()
		if got := s.freeTimes(day); got != st.want {
			t.Errorf("%s: free %s, want %s", st.what, got, st.want)
		}
	}
}

// While residents book, readers keep listing; once the writers stop, the
// list equals what the database holds.
func TestSlotListsAgreeWithTheDatabaseAfterRacingBookings(t *testing.T) {
	s := bookingServer(t, monday)
	const day = "2026-11-30"
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					s.freeTimes(day)
				}
			}
		})
	}
	var writers sync.WaitGroup
	for i := range 12 { // two residents for each of the six times: one of each pair wins
		writers.Go(func() {
			start := time.Date(2026, 11, 30, 10, 0, 0, 0, london).Add(time.Duration(i/2*20) * time.Minute)
			s.do("POST", "/api/v1/bookings", "", bookBody(start, fmt.Sprintf("07700 9001%02d", i)))
		})
	}
	writers.Wait()
	close(stop)
	wg.Wait()
	if got := s.freeTimes(day); got != "" {
		t.Errorf("every time is booked, yet the list still offers %s", got)
	}
	if n := s.count(`SELECT COUNT(*) FROM bookings WHERE status = 'booked'`); n != 6 {
		t.Errorf("%d bookings, want 6", n)
	}
}

package booking

import (
	"encoding/json"
	"testing"
	"time"
)

func TestSlotsJSONMatchesEncodingJSON(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	start := time.Date(2027, 3, 28, 0, 30, 0, 0, london) // the night the clocks go forward
	var slots []Slot
	for i := range 4 {
		s := start.Add(time.Duration(i) * 30 * time.Minute)
		slots = append(slots, Slot{Start: s, End: s.Add(30 * time.Minute), Capacity: 3, Booked: i % 3})
	}
	var got struct{ Slots []SlotJSON }
	if err := json.Unmarshal(appendSlotsJSON(nil, slots, london), &got); err != nil {
		t.Fatal(err)
	}
	want := make([]SlotJSON, len(slots))
	for i, sl := range slots {
		want[i] = SlotJSON{Start: sl.Start.In(london), End: sl.End.In(london), Remaining: sl.Remaining(), Capacity: sl.Capacity}
	}
	wb, _ := json.Marshal(struct{ Slots []SlotJSON }{want})
	gb, _ := json.Marshal(got)
	if string(gb) != string(wb) {
		t.Errorf("hand-written JSON decodes to\n%s\nwant\n%s", gb, wb)
	}
	if got := string(appendSlotsJSON(nil, nil, london)); got != "{\"slots\":[]}\n" {
		t.Errorf("no slots: %q", got)
	}
}

func TestAppendRFC3339MatchesTimeFormat(t *testing.T) {
	for _, zone := range []string{"Europe/London", "UTC", "America/St_Johns", "Asia/Kolkata", "America/New_York"} {
		loc, _ := time.LoadLocation(zone)
		for ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); ts.Year() < 2028; ts = ts.Add(7*time.Hour + 13*time.Minute + 7*time.Second) {
			lt := ts.In(loc)
			if got, want := string(appendRFC3339(nil, lt)), lt.Format(time.RFC3339); got != want {
				t.Fatalf("%s: %s, want %s", zone, got, want)
			}
		}
	}
}

package booking

import (
	"testing"
	"time"
)

func TestReminderRuleParseAndDue(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	start := time.Date(2027, 3, 29, 9, 0, 0, 0, london) // the Monday after the clocks go forward
	for _, c := range []struct {
		in   string
		want time.Time // zero: off
	}{
		{"", time.Date(2027, 3, 28, 10, 0, 0, 0, london)},
		{"-1d@10:00", time.Date(2027, 3, 28, 10, 0, 0, 0, london)},
		{"2d@18:30", time.Date(2027, 3, 27, 18, 30, 0, 0, london)},
		{"-0d@07:00", time.Date(2027, 3, 29, 7, 0, 0, 0, london)},
		{"-2h", start.Add(-2 * time.Hour)},
		{"-90m", start.Add(-90 * time.Minute)},
		{"off", time.Time{}},
	} {
		r, err := ParseReminder(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if r.Off != c.want.IsZero() {
			t.Errorf("%q: off = %v", c.in, r.Off)
			continue
		}
		if !r.Off {
			if got := r.due(start, london); !got.Equal(c.want) {
				t.Errorf("%q: due %v, want %v", c.in, got, c.want)
			}
			if r.lead() < start.Sub(r.due(start, london)) {
				t.Errorf("%q: lead %v shorter than the reminder's %v", c.in, r.lead(), start.Sub(r.due(start, london)))
			}
		}
	}
	for _, bad := range []string{"tomorrow", "-1d@25:00", "-1d", "1d@10", "-10s", "-40d@10:00"} {
		if _, err := ParseReminder(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

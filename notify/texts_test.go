package notify

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the texts as they are now")

var london, _ = time.LoadLocation("Europe/London")

// TestSMSTextsGolden: every text as a resident receives it, against its
// golden file; each in GSM-7 only, one SMS unless it carries a link (then two).
func TestSMSTextsGolden(t *testing.T) {
	b := BookingText{Service: "Housing options", Site: "City Hall", Reference: "HXK4QP",
		Start:     time.Date(2026, 12, 1, 9, 30, 0, 0, london),
		ManageURL: "https://frontdoor.example.gov.uk/manage/HXK4QP/abcdefghijklmnopqrstuvwxyz"}
	long := BookingText{Service: "Council Tax and Business Rates", Site: "Riverside Customer Centre", Reference: "M7RT2Q",
		Start:     time.Date(2027, 3, 29, 14, 45, 0, 0, london),
		ManageURL: "https://appointments.north-example.gov.uk/manage/M7RT2Q/abcdefghijklmnopqrstuvwxyz"}
	for _, c := range []struct {
		name, text string
		link       bool
	}{
		{"confirmation", ConfirmationText(b), true},
		{"confirmation_long_names", ConfirmationText(long), true},
		{"change", ChangeText(b), true},
		{"cancellation", CancellationText(b), false},
		{"cancellation_long_names", CancellationText(long), false},
		{"delay", DelayText("Housing options", time.Date(2026, 12, 1, 11, 5, 0, 0, london)), false},
		{"reminder", ReminderText(b), false},
		{"reminder_long_names", ReminderText(long), false},
		{"cancel_reply", CancelReplyText(b), false},
		{"cancel_reply_long_names", CancelReplyText(long), false},
		{"nothing_to_cancel", NothingToCancelText(), false},
		{"called", CalledText("H012", "Desk 3"), false},
		{"called_numbered_desk", CalledText("C004", "7"), false},
		{"help", HelpText("City Hall"), false},
		{"help_long_name", HelpText("Riverside Customer Centre"), false},
		{"help_no_site", HelpText(""), false},
		{"satisfaction", SatisfactionText("City Hall"), false},
		{"satisfaction_long_name", SatisfactionText("Riverside Customer Centre"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(c.text+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./notify -update to write it)", err)
			}
			if got := c.text + "\n"; got != string(want) {
				t.Errorf("text changed:\n got %q\nwant %q\n(if intended, run go test ./notify -update)", got, want)
			}
			n, ok := GSMLength(c.text)
			if !ok {
				t.Fatalf("not GSM-7 only: %q", c.text)
			}
			if limit := map[bool]int{false: 160, true: 2 * 153}[c.link]; n > limit {
				t.Errorf("%d characters, over %d (%d SMS): %q", n, limit, Segments(c.text), c.text)
			}
			for _, name := range []string{"Ann", "Example"} {
				if strings.Contains(c.text, name) {
					t.Errorf("text names the resident: %q", c.text)
				}
			}
		})
	}
}

// TestSMSNamesStayGSM7: what staff type into a site's or service's name
// never turns a text into dearer UCS-2.
func TestSMSNamesStayGSM7(t *testing.T) {
	b := BookingText{Service: "Tenants’ “advice” – rent…", Site: "Canolfan Gwasanaethau Cwsmeriaid Ŵyl — Pont-y-ŷ 🏛", Reference: "HXK4QP",
		Start: time.Date(2026, 12, 1, 9, 30, 0, 0, london), ManageURL: "https://x.example/manage/HXK4QP/abc"}
	for _, text := range []string{ConfirmationText(b), ChangeText(b), CancellationText(b), ReminderText(b), CancelReplyText(b),
		HelpText(b.Site), SatisfactionText(b.Site), CalledText("H001", "Desg ŵ"), DelayText(b.Service, b.Start)} {
		if _, ok := GSMLength(text); !ok {
			t.Errorf("not GSM-7: %q", text)
		}
	}
	if got := plain("Tenants’ “advice” – rent…"); got != `Tenants' "advice" - rent...` {
		t.Errorf("plain = %q", got)
	}
}

func TestSMSSegments(t *testing.T) {
	for _, c := range []struct {
		s    string
		want int
	}{
		{strings.Repeat("a", 160), 1}, {strings.Repeat("a", 161), 2}, {strings.Repeat("a", 306), 2}, {strings.Repeat("a", 307), 3},
		{strings.Repeat("€", 80), 1}, {strings.Repeat("€", 81), 2}, {strings.Repeat("ŵ", 70), 1}, {strings.Repeat("ŵ", 71), 2},
	} {
		if got := Segments(c.s); got != c.want {
			t.Errorf("Segments(%d × %q) = %d, want %d", len([]rune(c.s)), []rune(c.s)[0], got, c.want)
		}
	}
}

func TestSMSKeyword(t *testing.T) {
	for in, want := range map[string]string{"cancel": "CANCEL", "  Cancel.\n": "CANCEL", "STOP!": "STOP", " 4 ": "4", "": "", "hello there": "HELLO THERE"} {
		if got := keyword(in); got != want {
			t.Errorf("keyword(%q) = %q, want %q", in, got, want)
		}
	}
}

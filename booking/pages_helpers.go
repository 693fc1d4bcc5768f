package booking

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// Dates and times on pages follow the GOV.UK style: "Monday 22 March 2027",
// "9am", "9:20am", "midday".

// LongDate is a date written out in full, like "Monday 22 March 2027".
func LongDate(t time.Time) string { return t.Format("Monday 2 January 2006") }

// ClockTime is a time of day like "9am", "9:20am", "midday" or "midnight".
func ClockTime(t time.Time) string {
	switch {
	case t.Hour() == 12 && t.Minute() == 0:
		return "midday"
	case t.Hour() == 0 && t.Minute() == 0:
		return "midnight"
	case t.Minute() == 0:
		return t.Format("3pm")
	}
	return t.Format("3:04pm")
}

// When is a moment written out, like "Monday 30 November 2026 at 9:30am".
// t must already be in the site's zone.
func When(t time.Time) string { return LongDate(t) + " at " + ClockTime(t) }

// dayLabel is a civil date without its year, like "Wednesday 24 March".
func dayLabel(d time.Time) string { return d.Format("Monday 2 January") }

// SpacedReference groups a reference in threes for reading aloud: "6EA HG8".
func SpacedReference(ref string) string {
	if len(ref) <= 3 {
		return ref
	}
	return ref[:3] + " " + ref[3:]
}

var phonetic = map[rune]string{
	'A': "Alpha", 'B': "Bravo", 'C': "Charlie", 'D': "Delta", 'E': "Echo", 'F': "Foxtrot", 'G': "Golf", 'H': "Hotel",
	'J': "Juliett", 'K': "Kilo", 'M': "Mike", 'N': "November", 'P': "Papa", 'Q': "Quebec", 'R': "Romeo", 'S': "Sierra",
	'T': "Tango", 'V': "Victor", 'W': "Whiskey", 'X': "X-ray", 'Y': "Yankee", 'Z': "Zulu",
	'2': "two", '3': "three", '4': "four", '5': "five", '6': "six", '7': "seven", '8': "eight", '9': "nine",
}

// PhoneticReference spells a reference for reading over the phone:
// "six, E for Echo, A for Alpha, H for Hotel, G for Golf, eight".
func PhoneticReference(ref string) string {
	parts := make([]string, 0, len(ref))
	for _, r := range ref {
		word, ok := phonetic[r]
		switch {
		case !ok:
			parts = append(parts, string(r))
		case r >= '0' && r <= '9':
			parts = append(parts, word)
		default:
			parts = append(parts, fmt.Sprintf("%c for %s", r, word))
		}
	}
	return strings.Join(parts, ", ")
}

// NationalPhone writes an E.164 UK number as people read it: "07700 900123".
func NationalPhone(e164 string) string {
	n, ok := strings.CutPrefix(e164, "+44")
	if !ok {
		return e164
	}
	n = "0" + n
	if len(n) == 11 && (strings.HasPrefix(n, "07") || strings.HasPrefix(n, "08") || strings.HasPrefix(n, "03")) {
		return n[:5] + " " + n[5:]
	}
	if len(n) == 11 && strings.HasPrefix(n, "02") {
		return n[:3] + " " + n[3:7] + " " + n[7:]
	}
	if len(n) == 11 {
		return n[:5] + " " + n[5:]
	}
	return n
}

// formNonce is a random key for a form that creates a booking.
func formNonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

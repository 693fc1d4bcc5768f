package booking

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"frontdoor"
)

// FuzzNormalizeReference: a typed reference is either refused or six
// characters of the reference alphabet, the same when typed again.
func FuzzNormalizeReference(f *testing.F) {
	for _, s := range []string{"HOU7QK", "hou-7qk", " h o u 7 q k ", "HOU7Q", "HOU7QK2", "HOU0QK", "ноu7qk", "ǆǆǆǆǆǆ", "ßßß", "\xff\xff\xff\xff\xff\xff", "------", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, ok := NormalizeReference(s)
		if !ok {
			if ref != "" {
				t.Fatalf("NormalizeReference(%q) refused but returned %q", s, ref)
			}
			return
		}
		if len(ref) != RefLength {
			t.Fatalf("NormalizeReference(%q) = %q: want %d characters", s, ref, RefLength)
		}
		for _, r := range ref {
			if !strings.ContainsRune(refAlphabet, r) {
				t.Fatalf("NormalizeReference(%q) = %q: %q is not in the alphabet", s, ref, r)
			}
		}
		if again, ok := NormalizeReference(ref); !ok || again != ref {
			t.Fatalf("NormalizeReference(%q) = %q, %v: want %q again", ref, again, ok, ref)
		}
	})
}

var ukE164 = regexp.MustCompile(`^\+44[1-9][0-9]{8,9}$`)

// FuzzNormalizePhone: a phone number as typed either has a message for the
// resident or becomes a UK number in E.164, which it stays when typed again.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"07700 900123", "+44 7700 900123", "(020) 7946 0018", "0044 7700 900123", "447700900123",
		"07700900", "+1 202 555 0143", "0800 123 4567", "07700 900123 ext. 12", "tel:+44-7700-900123", "+44 (0) 7700 900123",
		"07700\u00a0900123", "０７７００９００１２３", "+", "++44", "0", " ", strings.Repeat("7", 31), "#7700*900;123", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e164, mobile, msg := NormalizePhone(s)
		if msg != "" {
			if e164 != "" || mobile {
				t.Fatalf("NormalizePhone(%q) refused (%s) but returned %q, %v", s, msg, e164, mobile)
			}
			return
		}
		if !ukE164.MatchString(e164) {
			t.Fatalf("NormalizePhone(%q) = %q: not a UK E.164 number", s, e164)
		}
		again, mobileAgain, msg := NormalizePhone(e164)
		if again != e164 || mobileAgain != mobile || msg != "" {
			t.Fatalf("NormalizePhone(%q) = %q, %v, %q: want %q, %v again", e164, again, mobileAgain, msg, e164, mobile)
		}
	})
}

// FuzzNormalizeCheckinCode: whatever a scanner types (a bare code, a URL
// ending in one), the code has no separators left and is upper case.
func FuzzNormalizeCheckinCode(f *testing.F) {
	s := Secrets{Key: make([]byte, 32)}
	code := s.CheckinCode([]byte("salt"))
	for _, v := range []string{code, strings.ToLower(code), " " + code + "\n", "https://frontdoor.example/qr/" + code + ".png",
		"https://frontdoor.example/checkin?code=" + code, "FRONTDOOR:" + code, "/", "=", ":.png", ".png", "", "\xff/\xfe", "ǆ"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got := NormalizeCheckinCode(v)
		if strings.ContainsAny(got, "/=:") {
			t.Fatalf("NormalizeCheckinCode(%q) = %q still holds a separator", v, got)
		}
		if utf8.ValidString(v) && got != strings.ToUpper(got) {
			t.Fatalf("NormalizeCheckinCode(%q) = %q: not upper case", v, got)
		}
	})
}

// checkInvalid fails unless err is nil or an Invalid *frontdoor.Error (a 400).
func checkInvalid(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if e := frontdoor.AsError(err); e.Kind != frontdoor.Invalid || e.Message == "" {
		t.Fatalf("%s: %#v, want an Invalid error with a message", what, e)
	}
}

// FuzzBookingInput: the booking body (with needs as text or an object) is
// decoded and validated without a panic; what passes is fit to store.
func FuzzBookingInput(f *testing.F) {
	for _, s := range []string{
		`{"site":"city-hall","service":"HOU","start":"2026-11-30T10:20:00Z","name":"Ann Example","phone":"07700 900123","channel":"online"}`,
		`{"site":"city-hall","service":"HOU","start":"2026-11-30T10:20:00+00:00","name":"  Ann   Example ","phone":"+447700900123","email":"ann@example.org","people":6,"needs":{"interpreter":"Polish","wheelchair":true,"private_room":true,"large_print":true,"other":"ramp"},"channel":"phone"}`,
		`{"site":"city-hall","service":"HOU","start":"2026-11-30T10:20:00Z","name":"Ann","phone":"07700 900123","needs":"a ramp, please"}`,
		`{"needs":42}`, `{"needs":null}`, `{"people":-1}`, `{"people":7}`, `{"start":"2026-11-30T25:00:00Z"}`, `{"start":"0000-01-01T00:00:00Z"}`,
		`{"email":"a@b"}`, `{"email":"\"a b\"@example.org"}`, `{"email":"Ann <ann@example.org>"}`, `{"email":"@"}`, `{"channel":"fax"}`,
		`{"name":"\u0000\u202e"}`, `{"phone":"\ud800"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var in Input
		if err := json.Unmarshal([]byte(body), &in); err != nil {
			return // web.DecodeJSON's own fuzzer covers bad JSON
		}
		c, err := in.validate()
		checkInvalid(t, "validate "+body, err)
		if err != nil {
			return
		}
		if !ukE164.MatchString(c.Phone) || c.People < 1 || c.People > 6 || !contains(channels, c.Channel) || c.Site == "" || c.Service == "" {
			t.Fatalf("validate(%s) passed %+v", body, c)
		}
		if utf8.RuneCountInString(c.Needs.Interpreter) > 50 || utf8.RuneCountInString(c.Needs.Other) > 500 {
			t.Fatalf("validate(%s) passed long needs", body)
		}
	})
}

// FuzzDetailsForm: the booking journey's details form is read and checked
// without a panic, and the details survive sealing and opening; a value
// that was not sealed by us does not open.
func FuzzDetailsForm(f *testing.F) {
	f.Add("name=Ada+Lovelace&phone=07700+900123&email=&people=1&needs=interpreter&interpreter_language=Polish", "")
	f.Add("name=Ada&phone=07700900123&people=&needs=other&needs=wheelchair&needs_other=", "AAAA")
	f.Add("people=%2B3&needs=large_print&needs=private_room&phone=%2B447700900123&name=%E2%80%AE", "not+sealed")
	f.Add("%zz=1&name=;&&people=9999999999999999999", "")
	sl := newSealer(make([]byte, 32))
	f.Fuzz(func(t *testing.T, form, sealed string) {
		v, err := url.ParseQuery(form)
		form = fmt.Sprint(v) // the decoded values, for the UTF-8 check below
		if err != nil {
			return // net/http refuses the form before the handler sees it
		}
		d := detailsFromForm(v)
		d.check()
		got, ok := sl.open(sl.seal(d))
		// JSON carries invalid UTF-8 as U+FFFD: the page shows the same either way.
		if !ok || (utf8.ValidString(form) && got != d) {
			t.Fatalf("sealed %+v, opened %+v, %v", d, got, ok)
		}
		if _, ok := sl.open(sealed); ok {
			t.Fatalf("open(%q) succeeded on a value we never sealed", sealed)
		}
	})
}

// FuzzSetupJSON: the setup API's bodies (a site, a service, a desk, hours
// with closures as text or objects, capacity) decode and validate without a
// panic, and what fails is a 400 with a message.
func FuzzSetupJSON(f *testing.F) {
	for _, s := range []string{
		`{"id":"city-hall","name":"City Hall","address":"1 High Street, Townsville TS1 1AA","timezone":"Europe/London"}`,
		`{"id":"x","name":"X","address":"Y","timezone":"Local"}`, `{"id":"x","name":"X","address":"Y","timezone":"../../etc/passwd"}`,
		`{"code":"HOU","name":"Housing options","duration_minutes":20,"ticket_prefix":"H"}`,
		`{"code":"PRK","name":"Parking permits","duration_minutes":10,"ticket_prefix":"P","bookable":false,"walk_in":true,"walk_in_target_minutes":5,"walk_in_first_contact_minutes":10}`,
		`{"code":"ǆǆ","ticket_prefix":"ß","horizon_days":0,"min_notice_minutes":-1}`,
		`{"id":"desk-1","name":"Desk 1","services":["HOU","CTX"," hou "]}`,
		`{"weekly":[{"weekday":"monday","open":"09:00","close":"17:00"},{"weekday":"Monday","open":"12:00","close":"13:00"}],"closures":["2026-12-25",{"date":"2026-12-24","from":"13:00","to":"17:00","reason":"Christmas Eve"}]}`,
		`{"weekly":[{"weekday":"sunday","open":"23:59","close":"24:00"}],"closures":[42,null,{"date":"2026-02-30"}]}`,
		`{"weekly":[{"weekday":"monday","from":"09:00","to":"12:00","parallel":1},{"weekday":"monday","from":"11:00","to":"12:00","parallel":101}]}`,
		`{"weekly":[{"weekday":"","from":"","to":"","parallel":0}]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		b := []byte(body)
		var site SiteInput
		if json.Unmarshal(b, &site) == nil {
			_, err := site.validate()
			checkInvalid(t, "site "+body, err)
		}
		var svc ServiceInput
		if json.Unmarshal(b, &svc) == nil {
			_, err := svc.validate("city-hall")
			checkInvalid(t, "service "+body, err)
		}
		var desk DeskInput
		if json.Unmarshal(b, &desk) == nil {
			desk.validate("city-hall")
		}
		var h Hours
		if err := json.Unmarshal(b, &h); err == nil {
			out, err := validateHours(h)
			checkInvalid(t, "hours "+body, err)
			if err == nil && (out.Weekly == nil || out.Closures == nil) {
				t.Fatalf("hours %s: nil lists %+v", body, out)
			}
		}
		var c Capacity
		if json.Unmarshal(b, &c) == nil {
			_, err := validateCapacity(c)
			checkInvalid(t, "capacity "+body, err)
		}
	})
}

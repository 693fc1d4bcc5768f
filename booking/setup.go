// Package booking owns sites, services, desks, opening hours, capacity,
// slots and bookings: everything a resident books against, and the booking
// itself with its reference, QR code and calendar file.
package booking

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"frontdoor"
)

// Site is a customer centre.
type Site struct {
	ID                   string `json:"id"`
	Name                 string `json:"name"`
	Address              string `json:"address"`
	Timezone             string `json:"timezone"`
	DisplayTokenRequired bool   `json:"display_token_required"`
}

// Location is the site's time zone; it was checked when the site was saved.
func (s Site) Location() *time.Location {
	return loadLocation(s.Timezone)
}

// Service is what residents come for, with the charter's standards.
type Service struct {
	Site                      string `json:"site"`
	Code                      string `json:"code"`
	Name                      string `json:"name"`
	DurationMinutes           int    `json:"duration_minutes"`
	TicketPrefix              string `json:"ticket_prefix"`
	Bookable                  bool   `json:"bookable"`
	WalkIn                    bool   `json:"walk_in"`
	AppointmentTargetMinutes  int    `json:"appointment_target_minutes"`
	WalkInFirstContactMinutes int    `json:"walk_in_first_contact_minutes"`
	WalkInTargetMinutes       int    `json:"walk_in_target_minutes"`
	MinNoticeMinutes          int    `json:"min_notice_minutes"`
	HorizonDays               int    `json:"horizon_days"`
}

// Duration is one appointment's length.
func (s Service) Duration() time.Duration { return time.Duration(s.DurationMinutes) * time.Minute }

// Desk is a service point and the services it can serve.
type Desk struct {
	Site     string   `json:"site"`
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Services []string `json:"services"`
	// Retired is set on a desk taken out of use; only AllDesks lists those.
	Retired bool `json:"-"`
}

// Hours are a site's weekly opening hours and its dated closures.
type Hours struct {
	Weekly   []HoursBand `json:"weekly"`
	Closures []Closure   `json:"closures"`
}

// HoursBand is one opening period on a weekday, local wall-clock times.
type HoursBand struct {
	Weekday string `json:"weekday"`
	Open    string `json:"open"`
	Close   string `json:"close"`
}

// Closure closes a site for a whole day, or part of one when From and To are set.
// In JSON it is either "2026-12-25" or {"date":"2026-12-24","from":"13:00","to":"17:00","reason":"..."}.
type Closure struct {
	Date   string `json:"date"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Reason string `json:"reason,omitempty"`
}

func (c *Closure) UnmarshalJSON(b []byte) error {
	var day string
	if err := json.Unmarshal(b, &day); err == nil {
		*c = Closure{Date: day}
		return nil
	}
	type plain Closure
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return frontdoor.Errorf(frontdoor.Invalid, "bad_json", `Each closure must be a date ("2026-12-25") or an object with "date", and optionally "from" and "to".`)
	}
	*c = Closure(p)
	return nil
}

// Capacity is how many appointments of a service can run at once, by weekly band.
type Capacity struct {
	Weekly []CapacityBand `json:"weekly"`
}

// CapacityBand is one weekly band of appointment capacity.
type CapacityBand struct {
	Weekday  string `json:"weekday"`
	From     string `json:"from"`
	To       string `json:"to"`
	Parallel int    `json:"parallel"`
}

var (
	idRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	codeRE  = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,9}$`)
	clockRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	letter  = regexp.MustCompile(`^[A-Z]$`)
)

var weekdays = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

func weekdayIndex(s string) int { return slices.Index(weekdays, strings.ToLower(s)) }

func weekdayName(i int) string { return weekdays[i] }

func checkText(fields map[string]string, field, label, v string, max int) {
	switch {
	case strings.TrimSpace(v) == "":
		fields[field] = "Enter " + label
	case utf8.RuneCountInString(v) > max:
		fields[field] = fmt.Sprintf("%s must be %d characters or fewer", capitalise(label), max)
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\n' }):
		fields[field] = capitalise(label) + " must not contain control characters"
	}
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// SiteInput is the body of POST /api/v1/sites.
type SiteInput struct {
	ID                   string `json:"id"`
	Name                 string `json:"name"`
	Address              string `json:"address"`
	Timezone             string `json:"timezone"`
	DisplayTokenRequired bool   `json:"display_token_required"`
}

func (in SiteInput) validate() (Site, error) {
	fields := map[string]string{}
	if !idRE.MatchString(in.ID) {
		fields["id"] = "Enter an id of lower-case letters, numbers and hyphens, like city-hall"
	}
	checkText(fields, "name", "the site's name", in.Name, 100)
	checkText(fields, "address", "the site's address", in.Address, 300)
	if in.Timezone == "" {
		fields["timezone"] = "Enter the site's time zone, like Europe/London"
	} else if in.Timezone == "Local" || loadLocation(in.Timezone) == nil {
		fields["timezone"] = fmt.Sprintf("%q is not a known time zone: use an IANA name like Europe/London", in.Timezone)
	}
	if len(fields) > 0 {
		return Site{}, frontdoor.FieldErrors(fields)
	}
	return Site{ID: in.ID, Name: strings.TrimSpace(in.Name), Address: strings.TrimSpace(in.Address),
		Timezone: in.Timezone, DisplayTokenRequired: in.DisplayTokenRequired}, nil
}

// ServiceInput is the body of POST /api/v1/sites/{site}/services; omitted
// settings take the charter's defaults.
type ServiceInput struct {
	Code                      string `json:"code"`
	Name                      string `json:"name"`
	DurationMinutes           int    `json:"duration_minutes"`
	TicketPrefix              string `json:"ticket_prefix"`
	Bookable                  *bool  `json:"bookable"`
	WalkIn                    *bool  `json:"walk_in"`
	AppointmentTargetMinutes  *int   `json:"appointment_target_minutes"`
	WalkInFirstContactMinutes *int   `json:"walk_in_first_contact_minutes"`
	WalkInTargetMinutes       *int   `json:"walk_in_target_minutes"`
	MinNoticeMinutes          *int   `json:"min_notice_minutes"`
	HorizonDays               *int   `json:"horizon_days"`
}

func orDefault[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func (in ServiceInput) validate(site string) (Service, error) {
	s := Service{
		Site:                      site,
		Code:                      strings.ToUpper(strings.TrimSpace(in.Code)),
		Name:                      strings.TrimSpace(in.Name),
		DurationMinutes:           in.DurationMinutes,
		TicketPrefix:              strings.ToUpper(strings.TrimSpace(in.TicketPrefix)),
		Bookable:                  orDefault(in.Bookable, true),
		WalkIn:                    orDefault(in.WalkIn, true),
		AppointmentTargetMinutes:  orDefault(in.AppointmentTargetMinutes, 10),
		WalkInFirstContactMinutes: orDefault(in.WalkInFirstContactMinutes, 10),
		WalkInTargetMinutes:       orDefault(in.WalkInTargetMinutes, 30),
		MinNoticeMinutes:          orDefault(in.MinNoticeMinutes, 120),
		HorizonDays:               orDefault(in.HorizonDays, 90),
	}
	fields := map[string]string{}
	if !codeRE.MatchString(s.Code) {
		fields["code"] = "Enter a code of 2 to 10 capital letters or numbers, starting with a letter, like HOU"
	}
	checkText(fields, "name", "the service's name", in.Name, 100)
	if s.DurationMinutes < 5 || s.DurationMinutes > 480 {
		fields["duration_minutes"] = "Enter an appointment length between 5 and 480 minutes"
	}
	if !letter.MatchString(s.TicketPrefix) {
		fields["ticket_prefix"] = "Enter one letter for ticket numbers, like H"
	}
	for _, f := range []struct {
		name, label string
		v           int
	}{
		{"appointment_target_minutes", "The appointment standard", s.AppointmentTargetMinutes},
		{"walk_in_first_contact_minutes", "The walk-in first contact standard", s.WalkInFirstContactMinutes},
		{"walk_in_target_minutes", "The walk-in standard", s.WalkInTargetMinutes},
	} {
		if f.v < 1 || f.v > 240 {
			fields[f.name] = f.label + " must be between 1 and 240 minutes"
		}
	}
	if _, bad := fields["walk_in_target_minutes"]; !bad && s.WalkInTargetMinutes < s.WalkInFirstContactMinutes {
		fields["walk_in_target_minutes"] = "The walk-in standard must be at least the first contact standard"
	}
	if s.MinNoticeMinutes < 0 || s.MinNoticeMinutes > 60*24*28 {
		fields["min_notice_minutes"] = "The minimum notice must be between 0 and 40320 minutes (4 weeks)"
	}
	if s.HorizonDays < 1 || s.HorizonDays > 366 {
		fields["horizon_days"] = "The booking horizon must be between 1 and 366 days"
	}
	if len(fields) > 0 {
		return Service{}, frontdoor.FieldErrors(fields)
	}
	return s, nil
}

// DeskInput is the body of POST /api/v1/sites/{site}/desks.
type DeskInput struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Services []string `json:"services"`
}

func (in DeskInput) validate(site string) (Desk, map[string]string) {
	d := Desk{Site: site, ID: in.ID, Name: strings.TrimSpace(in.Name)}
	fields := map[string]string{}
	if !idRE.MatchString(in.ID) {
		fields["id"] = "Enter an id of lower-case letters, numbers and hyphens, like desk-3"
	}
	checkText(fields, "name", "the desk's name", in.Name, 60)
	if len(in.Services) == 0 {
		fields["services"] = "Choose at least one service this desk serves"
	}
	for _, c := range in.Services {
		c = strings.ToUpper(strings.TrimSpace(c))
		if !slices.Contains(d.Services, c) {
			d.Services = append(d.Services, c)
		}
	}
	return d, fields
}

func validateHours(h Hours) (Hours, error) {
	fields := map[string]string{}
	out := Hours{Weekly: []HoursBand{}, Closures: []Closure{}}
	for i, b := range h.Weekly {
		f := fmt.Sprintf("weekly.%d", i)
		d := weekdayIndex(b.Weekday)
		switch {
		case d < 0:
			fields[f+".weekday"] = fmt.Sprintf("%q is not a day of the week: use monday to sunday", b.Weekday)
		case !clockRE.MatchString(b.Open):
			fields[f+".open"] = "Enter the opening time as HH:MM, like 09:00"
		case !clockRE.MatchString(b.Close):
			fields[f+".close"] = "Enter the closing time as HH:MM, like 17:00"
		case b.Close <= b.Open:
			fields[f+".close"] = fmt.Sprintf("The closing time must be after the opening time (%s)", b.Open)
		default:
			out.Weekly = append(out.Weekly, HoursBand{Weekday: weekdays[d], Open: b.Open, Close: b.Close})
		}
	}
	if len(fields) == 0 {
		if f, msg := overlapping(len(out.Weekly), func(i int) (string, string, string) {
			return out.Weekly[i].Weekday, out.Weekly[i].Open, out.Weekly[i].Close
		}); f >= 0 {
			fields[fmt.Sprintf("weekly.%d", f)] = msg
		}
	}
	for i, c := range h.Closures {
		f := fmt.Sprintf("closures.%d", i)
		if _, err := time.Parse(time.DateOnly, c.Date); err != nil {
			fields[f] = fmt.Sprintf("%q is not a date: use YYYY-MM-DD", c.Date)
			continue
		}
		if (c.From == "") != (c.To == "") {
			fields[f] = "Give both from and to for a part-day closure, or neither for a whole day"
			continue
		}
		if c.From != "" && (!clockRE.MatchString(c.From) || !clockRE.MatchString(c.To) || c.To <= c.From) {
			fields[f] = "Enter from and to as HH:MM with to after from"
			continue
		}
		if utf8.RuneCountInString(c.Reason) > 200 {
			fields[f+".reason"] = "The reason must be 200 characters or fewer"
			continue
		}
		out.Closures = append(out.Closures, c)
	}
	if len(fields) > 0 {
		return Hours{}, frontdoor.FieldErrors(fields)
	}
	sort.SliceStable(out.Weekly, func(i, j int) bool {
		a, b := out.Weekly[i], out.Weekly[j]
		if a.Weekday != b.Weekday {
			return weekdayIndex(a.Weekday) < weekdayIndex(b.Weekday)
		}
		return a.Open < b.Open
	})
	sort.SliceStable(out.Closures, func(i, j int) bool { return out.Closures[i].Date < out.Closures[j].Date })
	return out, nil
}

func validateCapacity(c Capacity) (Capacity, error) {
	fields := map[string]string{}
	out := Capacity{Weekly: []CapacityBand{}}
	for i, b := range c.Weekly {
		f := fmt.Sprintf("weekly.%d", i)
		d := weekdayIndex(b.Weekday)
		switch {
		case d < 0:
			fields[f+".weekday"] = fmt.Sprintf("%q is not a day of the week: use monday to sunday", b.Weekday)
		case !clockRE.MatchString(b.From):
			fields[f+".from"] = "Enter the start as HH:MM, like 09:00"
		case !clockRE.MatchString(b.To):
			fields[f+".to"] = "Enter the end as HH:MM, like 12:00"
		case b.To <= b.From:
			fields[f+".to"] = fmt.Sprintf("The end must be after the start (%s)", b.From)
		case b.Parallel < 1 || b.Parallel > 100:
			fields[f+".parallel"] = "Enter how many appointments can run at once, from 1 to 100"
		default:
			out.Weekly = append(out.Weekly, CapacityBand{Weekday: weekdays[d], From: b.From, To: b.To, Parallel: b.Parallel})
		}
	}
	if len(fields) == 0 {
		if f, msg := overlapping(len(out.Weekly), func(i int) (string, string, string) {
			return out.Weekly[i].Weekday, out.Weekly[i].From, out.Weekly[i].To
		}); f >= 0 {
			fields[fmt.Sprintf("weekly.%d", f)] = msg
		}
	}
	if len(fields) > 0 {
		return Capacity{}, frontdoor.FieldErrors(fields)
	}
	sort.SliceStable(out.Weekly, func(i, j int) bool {
		a, b := out.Weekly[i], out.Weekly[j]
		if a.Weekday != b.Weekday {
			return weekdayIndex(a.Weekday) < weekdayIndex(b.Weekday)
		}
		return a.From < b.From
	})
	return out, nil
}

// overlapping finds the first of n bands (weekday, from, to) that overlaps an
// earlier one on the same day; -1 when none do.
func overlapping(n int, band func(int) (string, string, string)) (int, string) {
	for i := 0; i < n; i++ {
		di, fi, ti := band(i)
		for j := 0; j < i; j++ {
			dj, fj, tj := band(j)
			if di == dj && fi < tj && fj < ti {
				return i, fmt.Sprintf("%s %s–%s overlaps %s–%s on the same day", capitalise(di), fi, ti, fj, tj)
			}
		}
	}
	return -1, ""
}

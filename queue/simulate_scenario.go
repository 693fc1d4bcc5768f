package queue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	_ "time/tzdata" // a scenario's zone must load on any machine
)

// Scenario is a day for Simulate, as `frontdoor simulate --scenario` reads
// it (API.md, "Simulation scenario"). Times of day are "HH:MM" or
// "HH:MM:SS", local to Timezone on Day: a time the clocks skip is refused,
// and one that happens twice when they go back is the first of the two.
type Scenario struct {
	Timezone string            `json:"timezone"` // IANA name; Europe/London when empty
	Day      string            `json:"day"`      // YYYY-MM-DD
	Services []ScenarioService `json:"services"`
	Desks    []ScenarioDesk    `json:"desks"`
	Visits   []ScenarioVisit   `json:"visits"` // visitors who arrive; no-shows are left out
}

// ScenarioService is a service and its standards; a target left at 0 takes
// the charter's default (10, 10 and 30 minutes). DurationMinutes is its
// appointment length, which wait estimates take its visits to last until
// one has finished, as the live queue does; left at 0, they take the median
// of all visits finished so far (else 10 minutes) instead.
type ScenarioService struct {
	Code                      string `json:"code"`
	TicketPrefix              string `json:"ticket_prefix"` // the first letter of Code when empty
	AppointmentTargetMinutes  int    `json:"appointment_target_minutes,omitempty"`
	WalkInFirstContactMinutes int    `json:"walk_in_first_contact_minutes,omitempty"`
	WalkInTargetMinutes       int    `json:"walk_in_target_minutes,omitempty"`
	DurationMinutes           int    `json:"duration_minutes,omitempty"`
}

// ScenarioDesk is a desk, the services it serves and when it is staffed.
type ScenarioDesk struct {
	ID       string   `json:"id"`
	Services []string `json:"services"`
	Open     string   `json:"open"`
	Close    string   `json:"close"`
}

// ScenarioVisit is one visitor: Kind is "appointment" (with Appointment) or
// "walk_in"; ServiceMinutes is how long the desk takes once it calls them.
type ScenarioVisit struct {
	ID             string  `json:"id"`
	Service        string  `json:"service"`
	Kind           string  `json:"kind"`
	Appointment    string  `json:"appointment,omitempty"`
	Arrive         string  `json:"arrive"`
	ServiceMinutes float64 `json:"service_minutes"`
	Priority       bool    `json:"priority,omitempty"`
}

// ReadScenario decodes a scenario, refusing fields it does not know (a typo
// would otherwise silently change the day), with errors a person can act on.
func ReadScenario(r io.Reader) (Scenario, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Scenario{}, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return Scenario{}, errors.New("the scenario is empty: it should be a JSON object with timezone, day, services, desks and visits")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var sc Scenario
	err = dec.Decode(&sc)
	if err == nil && dec.More() {
		err = errors.New("there is more after the scenario's closing brace")
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return sc, nil
	case errors.As(err, &syntax):
		line, col := jsonLineCol(data, syntax.Offset)
		return Scenario{}, fmt.Errorf("the scenario is not valid JSON: line %d, column %d: %s", line, col, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the scenario"
		}
		return Scenario{}, fmt.Errorf("%s: should be %s, not a JSON %s", field, jsonKind(typ.Type.Kind().String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Scenario{}, errors.New("the scenario is cut short: a bracket or brace is not closed")
	}
	return Scenario{}, fmt.Errorf("the scenario: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonLineCol is where the byte before offset (the one a SyntaxError
// stopped at) sits, counting lines and columns from 1.
func jsonLineCol(data []byte, offset int64) (line, col int) {
	before := data[:max(0, min(offset-1, int64(len(data))))]
	return bytes.Count(before, []byte("\n")) + 1, len(before) - bytes.LastIndexByte(before, '\n')
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "text in quotes"
	case "bool":
		return "true or false"
	case "slice":
		return "a list [...]"
	case "struct":
		return "an object {...}"
	}
	return "a number"
}

// simDay is a validated scenario with its times resolved to instants, and
// the state of its desks and visits as the day is played.
type simDay struct {
	loc      *time.Location
	services map[string]*simService
	desks    []*simDesk
	visits   []*simVisit // in the scenario's order
}

type simService struct {
	code, prefix                           string
	apptTarget, firstContact, walkInTarget time.Duration
	length                                 time.Duration // appointment length; 0 when not given
}

type simDesk struct {
	id          string
	services    []string
	open, close time.Time
	busy        *simVisit // nil when free
	freeAt      time.Time // when busy's visit ends
}

type simVisit struct {
	index    int
	id, kind string
	svc      *simService
	priority bool
	arrive   time.Time
	appt     time.Time // zero for walk-ins
	waitFrom time.Time // the later of arrival and appointment: waits count from here
	length   time.Duration

	// Set as the day is played.
	number  string
	cand    Candidate
	offered bool
	told    time.Duration
	toldOK  bool
	called  time.Time
	desk    *simDesk // nil until called
}

// compileScenario checks every field, naming each one that is wrong, and
// resolves the day's times in its zone: time.Date with the zone, never
// midnight plus hours, so a day when the clocks change comes out right.
func compileScenario(sc Scenario) (*simDay, error) {
	c := &scenarioCheck{}
	zone := sc.Timezone
	if zone == "" {
		zone = "Europe/London"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "Local" {
		c.add("timezone", "%q is not a time zone we know; use a name such as \"Europe/London\"", zone)
		loc = time.UTC
	}
	day, err := time.Parse(time.DateOnly, sc.Day)
	if err != nil {
		c.add("day", "%q is not a date; write it as YYYY-MM-DD, e.g. \"2026-12-01\"", sc.Day)
	}
	c.day, c.loc = day, loc
	d := &simDay{loc: loc, services: map[string]*simService{}}

	if len(sc.Services) == 0 {
		c.add("services", "there are none; list at least one")
	}
	for i, s := range sc.Services {
		f := itemName("services", i, s.Code)
		if s.Code == "" {
			c.add(f+".code", "missing; give every service a code, such as \"HOU\"")
			continue
		}
		if d.services[s.Code] != nil {
			c.add(f+".code", "%q is listed twice", s.Code)
		}
		svc := &simService{code: s.Code, prefix: s.TicketPrefix,
			apptTarget:   c.target(f+".appointment_target_minutes", s.AppointmentTargetMinutes, 10),
			firstContact: c.target(f+".walk_in_first_contact_minutes", s.WalkInFirstContactMinutes, 10),
			walkInTarget: c.target(f+".walk_in_target_minutes", s.WalkInTargetMinutes, 30)}
		if s.DurationMinutes < 0 {
			c.add(f+".duration_minutes", "%d is less than 0; give the appointment length in minutes, or leave it out", s.DurationMinutes)
		}
		svc.length = time.Duration(max(s.DurationMinutes, 0)) * time.Minute
		if svc.prefix == "" {
			svc.prefix = strings.ToUpper(string([]rune(s.Code)[:1]))
		}
		d.services[s.Code] = svc
	}

	deskIDs := map[string]bool{}
	if len(sc.Desks) == 0 {
		c.add("desks", "there are none; list at least one")
	}
	for i, sd := range sc.Desks {
		f := itemName("desks", i, sd.ID)
		if sd.ID == "" {
			c.add(f+".id", "missing; give every desk an id")
		} else if deskIDs[sd.ID] {
			c.add(f+".id", "%q is listed twice", sd.ID)
		}
		deskIDs[sd.ID] = true
		if len(sd.Services) == 0 {
			c.add(f+".services", "none listed; a desk must serve at least one service")
		}
		for j, code := range sd.Services {
			if d.services[code] == nil {
				c.add(fmt.Sprintf("%s.services[%d]", f, j), "%q is not one of the scenario's services (%s)", code, c.codes(sc))
			}
		}
		desk := &simDesk{id: sd.ID, services: sd.Services, open: c.clock(f+".open", sd.Open), close: c.clock(f+".close", sd.Close)}
		if !desk.open.IsZero() && !desk.close.IsZero() && !desk.close.After(desk.open) {
			c.add(f+".close", "%s is not after the desk opens at %s", sd.Close, sd.Open)
		}
		d.desks = append(d.desks, desk)
	}

	visitIDs := map[string]int{}
	for i, sv := range sc.Visits {
		f := itemName("visits", i, sv.ID)
		if sv.ID == "" {
			c.add(f+".id", "missing; give every visit an id")
		} else if j, dup := visitIDs[sv.ID]; dup {
			c.add(f+".id", "%q is already the id of visits[%d]", sv.ID, j)
		} else {
			visitIDs[sv.ID] = i
		}
		v := &simVisit{index: i, id: sv.ID, kind: sv.Kind, svc: d.services[sv.Service], priority: sv.Priority,
			arrive: c.clock(f+".arrive", sv.Arrive), length: time.Duration(math.Round(sv.ServiceMinutes*60)) * time.Second}
		if v.svc == nil {
			c.add(f+".service", "%q is not one of the scenario's services (%s)", sv.Service, c.codes(sc))
		}
		switch sv.Kind {
		case KindAppointment:
			if sv.Appointment == "" {
				c.add(f+".appointment", "missing: an appointment visit needs its appointment time, HH:MM")
			} else {
				v.appt = c.clock(f+".appointment", sv.Appointment)
			}
		case KindWalkIn:
			if sv.Appointment != "" {
				c.add(f+".appointment", "a walk_in has no appointment time; make its kind \"appointment\" or leave the time out")
			}
		default:
			c.add(f+".kind", "%q is not a kind of visit; use \"appointment\" or \"walk_in\"", sv.Kind)
		}
		if v.length < time.Second || math.IsNaN(sv.ServiceMinutes) {
			c.add(f+".service_minutes", "%v is not a length of time; give the minutes the desk takes, more than 0", sv.ServiceMinutes)
		}
		v.waitFrom = laterOf(v.arrive, v.appt)
		d.visits = append(d.visits, v)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return d, nil
}

// itemName names the i'th item of a list for an error, with its id when it has one.
func itemName(list string, i int, id string) string {
	if id == "" {
		return fmt.Sprintf("%s[%d]", list, i)
	}
	return fmt.Sprintf("%s[%d] (%s)", list, i, id)
}

// scenarioCheck gathers every problem with a scenario, so one run shows them all.
type scenarioCheck struct {
	problems []string
	day      time.Time
	loc      *time.Location
}

func (c *scenarioCheck) add(field, format string, args ...any) {
	c.problems = append(c.problems, field+": "+fmt.Sprintf(format, args...))
}

func (c *scenarioCheck) err() error {
	const most = 20
	switch n := len(c.problems); {
	case n == 0:
		return nil
	case n == 1:
		return errors.New("the scenario has a problem: " + c.problems[0])
	case n > most:
		c.problems = append(c.problems[:most], fmt.Sprintf("and %d more", n-most))
	}
	return fmt.Errorf("the scenario has %d problems:\n  %s", len(c.problems), strings.Join(c.problems, "\n  "))
}

func (c *scenarioCheck) target(field string, minutes, def int) time.Duration {
	switch {
	case minutes < 0:
		c.add(field, "%d is less than 0; give the minutes, or leave it out for %d", minutes, def)
	case minutes == 0:
		minutes = def
	}
	return time.Duration(minutes) * time.Minute
}

// clock is the instant a local time of day falls at on the scenario's day.
func (c *scenarioCheck) clock(field, s string) time.Time {
	if s == "" {
		c.add(field, "missing: give a time of day as HH:MM")
		return time.Time{}
	}
	hms, err := time.Parse("15:04:05", s)
	if err != nil {
		hms, err = time.Parse("15:04", s)
	}
	if err != nil {
		c.add(field, "%q is not a time of day; write it as HH:MM, from 00:00 to 23:59", s)
		return time.Time{}
	}
	y, m, dd := c.day.Date()
	t := time.Date(y, m, dd, hms.Hour(), hms.Minute(), hms.Second(), 0, c.loc)
	if l := t.In(c.loc); l.Hour() != hms.Hour() || l.Minute() != hms.Minute() {
		c.add(field, "%s does not exist on %s in %s: the clocks go forward then", s, c.day.Format(time.DateOnly), c.loc)
	}
	return t
}

func (c *scenarioCheck) codes(sc Scenario) string {
	var codes []string
	for _, s := range sc.Services {
		codes = append(codes, s.Code)
	}
	return strings.Join(codes, ", ")
}

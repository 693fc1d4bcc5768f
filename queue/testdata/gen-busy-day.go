//go:build ignore

// gen-busy-day writes busy-day.json: a realistic busy Tuesday at a council
// customer centre, for comparing calling policies with `frontdoor simulate`.
// It is deterministic (a fixed seed), so the file only changes when this
// program does. Run from the repository root:
//
//	go run ./queue/testdata/gen-busy-day.go > queue/testdata/busy-day.json
//
// The day: 6 desks with mixed skills, 09:00-17:00, four services. Housing
// options and benefits take appointments every 20 minutes and council tax
// every 15 (one at a time each), with a few no-shows (left out) and most
// visitors a few minutes early, about one in four late. Walk-ins come in a
// morning peak and a lunchtime peak over a steady trickle, the first few
// before the doors open, none after 16:30; about 1 in 20 is a priority
// visitor (staff flag vulnerable residents).
//
// It has 167 visits, not 300: six desks give 48 desk-hours, and at these
// service times even 300 of the shortest visits would need more than that.
// This day asks for 42 desk-hours (88 %), more than the desks can give in
// the two peaks, which is when the calling order matters.
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
)

type service struct {
	Code                      string `json:"code"`
	TicketPrefix              string `json:"ticket_prefix"`
	AppointmentTargetMinutes  int    `json:"appointment_target_minutes"`
	WalkInFirstContactMinutes int    `json:"walk_in_first_contact_minutes"`
	WalkInTargetMinutes       int    `json:"walk_in_target_minutes"`
}

type desk struct {
	ID       string   `json:"id"`
	Services []string `json:"services"`
	Open     string   `json:"open"`
	Close    string   `json:"close"`
}

type visit struct {
	ID             string  `json:"id"`
	Service        string  `json:"service"`
	Kind           string  `json:"kind"`
	Appointment    string  `json:"appointment,omitempty"`
	Arrive         string  `json:"arrive"`
	ServiceMinutes float64 `json:"service_minutes"`
	Priority       bool    `json:"priority,omitempty"`
	at             float64 // minutes after midnight, for sorting
}

type scenario struct {
	Timezone string    `json:"timezone"`
	Day      string    `json:"day"`
	Services []service `json:"services"`
	Desks    []desk    `json:"desks"`
	Visits   []visit   `json:"visits"`
}

// length is how long the desk takes per service, in minutes: floor, mode
// and ceiling of a triangular distribution (nobody quicker than the floor,
// most near the mode, a long tail to the ceiling).
var length = map[string][3]float64{
	"HOU": {25, 29, 40}, // housing options
	"CTX": {8, 9.5, 15}, // council tax
	"BEN": {15, 17, 25}, // benefits
	"PRK": {5, 6, 10},   // parking permits
}

const (
	opening, closing = 9 * 60, 17 * 60
	lastWalkIn       = 16*60 + 30
	walkIns          = 92
	noShowPercent    = 6
)

// Walk-ins by service, in percent.
var walkInMix = []struct {
	code    string
	percent int
}{{"CTX", 45}, {"PRK", 38}, {"BEN", 11}, {"HOU", 6}}

func main() {
	r := rand.New(rand.NewPCG(20261201, 7))
	sc := scenario{Timezone: "Europe/London", Day: "2026-12-01"}
	for _, s := range []struct{ code, prefix string }{{"HOU", "H"}, {"CTX", "C"}, {"BEN", "B"}, {"PRK", "P"}} {
		sc.Services = append(sc.Services, service{s.code, s.prefix, 10, 10, 30})
	}
	for i, skills := range [][]string{{"HOU", "BEN"}, {"HOU", "BEN"}, {"BEN", "CTX"}, {"CTX", "PRK"}, {"CTX", "PRK", "BEN"}, {"HOU", "CTX", "PRK"}} {
		sc.Desks = append(sc.Desks, desk{fmt.Sprintf("desk-%d", i+1), skills, "09:00", "17:00"})
	}
	var visits []visit
	for _, b := range []struct {
		code  string
		every int
	}{{"HOU", 20}, {"BEN", 20}, {"CTX", 15}} {
		// One at a time, the last one over by 16:50 at a typical length.
		for at := float64(opening); at+length[b.code][1] <= closing-10; at += float64(b.every) {
			if r.IntN(100) < noShowPercent {
				continue
			}
			// Most come a few minutes early, some right on time, about one in four late.
			arrive := math.Round(clamp(at+r.NormFloat64()*6-4, at-25, at+20))
			visits = append(visits, visit{Service: b.code, Kind: "appointment", Appointment: clock(at),
				Arrive: clock(arrive), ServiceMinutes: draw(r, b.code), at: arrive})
		}
	}
	for range walkIns {
		var at float64
		switch x := r.Float64(); {
		case x < 0.33: // morning peak: people on the way to work, or first thing
			at = 9*60 + 40 + r.NormFloat64()*30
		case x < 0.66: // lunchtime peak
			at = 12*60 + 45 + r.NormFloat64()*30
		default: // a steady trickle all day
			at = opening + r.Float64()*(lastWalkIn-opening)
		}
		at = math.Round(clamp(at, opening-10, lastWalkIn)*60) / 60 // to the second
		v := visit{Service: pick(r), Kind: "walk_in", Arrive: clock(at), Priority: r.IntN(20) == 0, at: at}
		v.ServiceMinutes = draw(r, v.Service)
		visits = append(visits, v)
	}
	slices.SortStableFunc(visits, func(a, b visit) int { return int(math.Round((a.at - b.at) * 60)) })
	for i := range visits {
		visits[i].ID = fmt.Sprintf("v%03d", i+1)
	}
	sc.Visits = visits
	out, err := json.MarshalIndent(sc, "", " ")
	if err != nil {
		panic(err)
	}
	os.Stdout.Write(append(out, '\n'))
}

func pick(r *rand.Rand) string {
	n := r.IntN(100)
	for _, m := range walkInMix {
		if n < m.percent {
			return m.code
		}
		n -= m.percent
	}
	return walkInMix[0].code
}

// draw is a triangular variate over the service's [min, mode, max].
func draw(r *rand.Rand, code string) float64 {
	lo, mode, hi := length[code][0], length[code][1], length[code][2]
	u, f := r.Float64(), (mode-lo)/(hi-lo)
	var x float64
	if u < f {
		x = lo + math.Sqrt(u*(hi-lo)*(mode-lo))
	} else {
		x = hi - math.Sqrt((1-u)*(hi-lo)*(hi-mode))
	}
	return math.Round(x*10) / 10
}

func clamp(x, lo, hi float64) float64 { return max(lo, min(hi, x)) }

// clock writes minutes after midnight as HH:MM:SS.
func clock(m float64) string {
	s := int(math.Round(m * 60))
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

package queue

import (
	"strconv"
	"time"

	"frontdoor"
)

// Ticket is a ticket as the API shows it: never a name or phone, so kiosks
// and devices may see it.
type Ticket struct {
	ID                   string     `json:"id"`
	Number               string     `json:"number"`
	Site                 string     `json:"site"`
	Service              string     `json:"service"`
	Kind                 string     `json:"kind"`
	Status               string     `json:"status"`
	Priority             bool       `json:"priority"`
	Arrived              time.Time  `json:"arrived"`
	Due                  time.Time  `json:"due"`
	Appointment          *time.Time `json:"appointment,omitempty"`
	LateByMinutes        int        `json:"late_by_minutes,omitempty"`  // an appointment that arrived after its time
	EarlyByMinutes       int        `json:"early_by_minutes,omitempty"` // an appointment that arrived before its time
	Called               *time.Time `json:"called,omitempty"`
	Desk                 string     `json:"desk,omitempty"`
	Recalls              int        `json:"recalls,omitempty"`
	Started              *time.Time `json:"started,omitempty"`
	Finished             *time.Time `json:"finished,omitempty"`
	Outcome              string     `json:"outcome,omitempty"`
	FollowUp             bool       `json:"follow_up,omitempty"`
	EstimatedWaitMinutes *int       `json:"estimated_wait_minutes,omitempty"`
	OfferedAppointment   bool       `json:"offered_appointment"`
	OfferResponse        string     `json:"offer_response,omitempty"`
	Delayed              bool       `json:"delayed,omitempty"`
	// Alert is "amber" when a waiting ticket is close to its due time, "red" past it.
	Alert string `json:"alert,omitempty"`
}

func at(ms int64, loc *time.Location) time.Time { return frontdoor.FromMillis(ms).In(loc) }

func optional(ms int64, valid bool, loc *time.Location) *time.Time {
	if !valid {
		return nil
	}
	t := at(ms, loc)
	return &t
}

// view is t as the API shows it at now, in the site's zone.
func (q *Queue) view(t ticket, loc *time.Location, now time.Time) Ticket {
	v := Ticket{ID: strconv.FormatInt(t.ID, 10), Number: t.Number, Site: t.Site, Service: t.Service, Kind: t.Kind,
		Status: t.Status, Priority: t.Priority, Arrived: at(t.Arrived, loc), Due: at(t.Due, loc), Recalls: t.Recalls,
		Outcome: t.Outcome, FollowUp: t.FollowUp, OfferedAppointment: t.Offered, OfferResponse: t.OfferResponse,
		Delayed: t.Delayed.Valid, Desk: t.Desk.String}
	v.Appointment = optional(t.Appointment.Int64, t.Appointment.Valid, loc)
	v.Called = optional(t.Called.Int64, t.Called.Valid, loc)
	v.Started = optional(t.Started.Int64, t.Started.Valid, loc)
	v.Finished = optional(t.Finished.Int64, t.Finished.Valid, loc)
	if t.Appointment.Valid {
		diff := time.Duration(t.Arrived-t.Appointment.Int64) * time.Millisecond
		if diff >= time.Minute {
			v.LateByMinutes = int(diff.Minutes())
		} else if diff <= -time.Minute {
			v.EarlyByMinutes = int(-diff.Minutes())
		}
	}
	if t.Estimate.Valid {
		m := int((time.Duration(t.Estimate.Int64)*time.Second + 30*time.Second) / time.Minute)
		v.EstimatedWaitMinutes = &m
	}
	if t.Status == StatusWaiting {
		due := frontdoor.FromMillis(t.Due)
		switch {
		case !now.Before(due):
			v.Alert = "red"
		case now.Add(q.AmberWithin).After(due):
			v.Alert = "amber"
		}
	}
	return v
}

// candidate is t as the calling policy sees it.
func (t ticket) candidate() Candidate {
	c := Candidate{ID: t.ID, Service: t.Service, Kind: t.Kind, Priority: t.Priority,
		Arrived: frontdoor.FromMillis(t.Arrived), Due: frontdoor.FromMillis(t.Due)}
	if t.Appointment.Valid {
		c.Appointment = frontdoor.FromMillis(t.Appointment.Int64)
	}
	return c
}

// WaitRange words an estimate as a range a person can plan around:
// "about 10 to 15 minutes". Longer waits get wider ranges.
func WaitRange(minutes int) (from, to int, text string) {
	switch {
	case minutes <= 2:
		return 0, 5, "less than 5 minutes"
	case minutes < 30:
		from = minutes / 5 * 5
		to = from + 5
	case minutes < 60:
		from = minutes / 10 * 10
		to = from + 10
	default:
		from = minutes / 15 * 15
		to = from + 15
	}
	return from, to, "about " + strconv.Itoa(from) + " to " + strconv.Itoa(to) + " minutes"
}

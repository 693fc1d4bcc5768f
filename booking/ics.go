package booking

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/emersion/go-ical"
)

// Calendar writes a booking as an iCalendar file: one VEVENT in the site's
// zone with that zone's VTIMEZONE (go-ical writes none of its own). The UID
// stays the same for the booking's life and SEQUENCE rises with each change,
// so a calendar updates its entry on reschedule and strikes it on cancel.
func (s *Store) Calendar(c Created, site Site, service Service, now time.Time) ([]byte, error) {
	loc := site.Location()
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, "-//Frontdoor//Appointments//EN")
	cal.Props.SetText(ical.PropMethod, "PUBLISH")
	cal.Children = append(cal.Children, vtimezone(loc, c.Start))

	ev := ical.NewEvent()
	ev.Props.SetText(ical.PropUID, fmt.Sprintf("booking-%s@frontdoor", c.Reference))
	ev.Props.SetDateTime(ical.PropDateTimeStamp, now.UTC())
	ev.Props.SetDateTime(ical.PropDateTimeStart, c.Start.In(loc))
	ev.Props.SetDateTime(ical.PropDateTimeEnd, c.End.In(loc))
	seq := ical.NewProp(ical.PropSequence)
	seq.Value = strconv.Itoa(c.sequence)
	ev.Props.Set(seq)
	ev.Props.SetText(ical.PropSummary, service.Name+" appointment at "+site.Name)
	ev.Props.SetText(ical.PropLocation, site.Name+", "+site.Address)
	ev.Props.SetText(ical.PropDescription, fmt.Sprintf(
		"Booking reference: %s\nBring your QR code or the reference to check in when you arrive.\nChange or cancel: %s",
		c.Reference, c.ManageURL))
	if c.Status == StatusCancelled {
		ev.Props.SetText(ical.PropStatus, "CANCELLED")
	} else {
		ev.Props.SetText(ical.PropStatus, "CONFIRMED")
	}
	cal.Children = append(cal.Children, ev.Component)

	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return nil, fmt.Errorf("calendar for %s: %w", c.Reference, err)
	}
	return buf.Bytes(), nil
}

// vtimezone describes loc's offsets and changes from a year before around
// to a year after, as explicit observances: every reader understands them,
// and they are exact for whatever rules the Go zone database holds.
func vtimezone(loc *time.Location, around time.Time) *ical.Component {
	tz := ical.NewComponent(ical.CompTimezone)
	tz.Props.SetText(ical.PropTimezoneID, loc.String())
	from, to := around.AddDate(-1, 0, 0), around.AddDate(1, 0, 0)
	changes := transitions(loc, from, to)
	if len(changes) == 0 {
		name, off := from.In(loc).Zone()
		tz.Children = append(tz.Children, observance(ical.CompTimezoneStandard, name, off, off, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)))
		return tz
	}
	// The offset in force before the first change, so readers know it too.
	name, off := from.In(loc).Zone()
	kind := ical.CompTimezoneStandard
	if from.In(loc).IsDST() {
		kind = ical.CompTimezoneDaylight
	}
	tz.Children = append(tz.Children, observance(kind, name, off, off, from.Add(time.Duration(off)*time.Second).UTC()))
	for _, at := range changes {
		_, before := at.Add(-time.Second).In(loc).Zone()
		name, after := at.In(loc).Zone()
		kind := ical.CompTimezoneStandard
		if at.In(loc).IsDST() {
			kind = ical.CompTimezoneDaylight
		}
		// DTSTART is the local time just before the change, in the old offset.
		tz.Children = append(tz.Children, observance(kind, name, before, after, at.Add(time.Duration(before)*time.Second).UTC()))
	}
	return tz
}

func observance(kind, name string, from, to int, localStart time.Time) *ical.Component {
	o := ical.NewComponent(kind)
	start := ical.NewProp(ical.PropDateTimeStart)
	start.SetValueType(ical.ValueDateTime)
	start.Value = localStart.Format("20060102T150405") // floating local time, as RFC 5545 requires here
	o.Props.Set(start)
	o.Props.SetText(ical.PropTimezoneName, name)
	for _, p := range []struct {
		prop string
		secs int
	}{{ical.PropTimezoneOffsetFrom, from}, {ical.PropTimezoneOffsetTo, to}} {
		v := ical.NewProp(p.prop)
		v.SetValueType(ical.ValueUTCOffset)
		v.Value = utcOffset(p.secs)
		o.Props.Set(v)
	}
	return o
}

func utcOffset(secs int) string {
	sign := "+"
	if secs < 0 {
		sign, secs = "-", -secs
	}
	return fmt.Sprintf("%s%02d%02d", sign, secs/3600, secs/60%60)
}

// transitions finds the instants in [from, to) where loc's offset changes,
// to the second: a daily scan, then a binary search inside each changing day.
func transitions(loc *time.Location, from, to time.Time) []time.Time {
	var out []time.Time
	offset := func(t time.Time) int { _, o := t.In(loc).Zone(); return o }
	for day := from; day.Before(to); day = day.Add(24 * time.Hour) {
		next := day.Add(24 * time.Hour)
		if offset(day) == offset(next) {
			continue
		}
		lo, hi := day, next // offset(lo) differs from offset(hi)
		for hi.Sub(lo) > time.Second {
			mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
			if offset(mid) == offset(lo) {
				lo = mid
			} else {
				hi = mid
			}
		}
		out = append(out, hi)
	}
	return out
}

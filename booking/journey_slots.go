package booking

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// What the pages offer: free days grouped by week, free times grouped by
// part of the day, and the free times nearest to one that has gone.

// WindowDays is how many days the day page shows at once.
const WindowDays = 28

// radio is one radio button of a choice page.
type radio struct {
	ID, Value, Label, Hint string
	Checked                bool
}

// radioGroup is radios under a heading ("Week beginning Monday 22 March", "Morning").
type radioGroup struct {
	Heading string
	Items   []radio
}

// link is a link and its text.
type link struct{ Href, Text string }

// numberRadios gives the radios their ids: the first is the field's name,
// so the error summary can link to it, then name-2, name-3...
func numberRadios(field string, groups []radioGroup) {
	n := 0
	for gi := range groups {
		for ii := range groups[gi].Items {
			n++
			if n == 1 {
				groups[gi].Items[ii].ID = field
			} else {
				groups[gi].Items[ii].ID = fmt.Sprintf("%s-%d", field, n)
			}
		}
	}
}

// today is the site's local date now, and the last date it takes bookings.
func (p *Pages) today(svc Service, loc *time.Location) (today, last time.Time) {
	now := p.store.Clock.Now()
	today = localDate(now, loc)
	return today, today.AddDate(0, 0, svc.HorizonDays)
}

// window is the first date of the days page that shows date.
func window(today, date time.Time) time.Time {
	if date.Before(today) {
		return today
	}
	n := int(date.Sub(today).Hours()/24) / WindowDays
	return today.AddDate(0, 0, n*WindowDays)
}

// dayGroups lists the days from from (for WindowDays) that have a free time,
// grouped by week; checked is the day to mark chosen.
func (p *Pages) dayGroups(ctx context.Context, site Site, svc Service, from time.Time, checked string) ([]radioGroup, error) {
	to := from.AddDate(0, 0, WindowDays-1)
	slots, err := p.store.Slots(ctx, site.ID, svc.Code, from, to)
	if err != nil {
		return nil, err
	}
	counts := map[time.Time]int{}
	var days []time.Time
	for _, sl := range slots {
		d := localDate(sl.Start, site.Location())
		if counts[d] == 0 {
			days = append(days, d)
		}
		counts[d]++
	}
	var groups []radioGroup
	var week time.Time
	for _, d := range days {
		monday := d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
		if len(groups) == 0 || !monday.Equal(week) {
			week = monday
			groups = append(groups, radioGroup{Heading: "Week beginning " + LongDate(monday)})
		}
		g := &groups[len(groups)-1]
		v := d.Format(time.DateOnly)
		g.Items = append(g.Items, radio{Value: v, Label: dayLabel(d), Hint: plural(counts[d], "time") + " free", Checked: v == checked})
	}
	numberRadios("day", groups)
	return groups, nil
}

// timeGroups lists a day's free times grouped into morning and afternoon.
func (p *Pages) timeGroups(ctx context.Context, site Site, svc Service, day time.Time, checked string) ([]radioGroup, error) {
	slots, err := p.store.Slots(ctx, site.ID, svc.Code, day, day)
	if err != nil {
		return nil, err
	}
	loc := site.Location()
	want, _ := time.Parse(time.RFC3339, checked)
	parts := []radioGroup{{Heading: "Morning"}, {Heading: "Afternoon"}, {Heading: "Evening"}}
	for _, sl := range slots {
		t := sl.Start.In(loc)
		i := 0
		if t.Hour() >= 17 {
			i = 2
		} else if t.Hour() >= 12 {
			i = 1
		}
		parts[i].Items = append(parts[i].Items, radio{Value: t.Format(time.RFC3339), Label: ClockTime(t),
			Checked: !want.IsZero() && want.Equal(sl.Start)})
	}
	var groups []radioGroup
	for _, g := range parts {
		if len(g.Items) > 0 {
			groups = append(groups, g)
		}
	}
	numberRadios("start", groups)
	return groups, nil
}

// freeAt reports whether start is a free time of the service now.
func (p *Pages) freeAt(ctx context.Context, site Site, svc Service, start time.Time) (bool, error) {
	d := localDate(start, site.Location())
	slots, err := p.store.Slots(ctx, site.ID, svc.Code, d, d)
	if err != nil {
		return false, err
	}
	for _, sl := range slots {
		if sl.Start.Equal(start) {
			return true, nil
		}
	}
	return false, nil
}

// NearestFree is how many other times the "that time has just gone" page offers.
const NearestFree = 6

// nearestGroups lists the free times nearest to want (within two weeks after
// its day, and earlier that day), in time order, as one group of radios.
func (p *Pages) nearestGroups(ctx context.Context, site Site, svc Service, want time.Time) ([]radioGroup, error) {
	loc := site.Location()
	from := localDate(want, loc)
	slots, err := p.store.Slots(ctx, site.ID, svc.Code, from, from.AddDate(0, 0, 13))
	if err != nil {
		return nil, err
	}
	dist := func(t time.Time) time.Duration {
		d := t.Sub(want)
		if d < 0 {
			return -d
		}
		return d
	}
	sort.SliceStable(slots, func(i, j int) bool { return dist(slots[i].Start) < dist(slots[j].Start) })
	if len(slots) > NearestFree {
		slots = slots[:NearestFree]
	}
	sort.Slice(slots, func(i, j int) bool { return slots[i].Start.Before(slots[j].Start) })
	g := radioGroup{}
	for _, sl := range slots {
		t := sl.Start.In(loc)
		g.Items = append(g.Items, radio{Value: t.Format(time.RFC3339), Label: dayLabel(t) + " at " + ClockTime(t)})
	}
	if len(g.Items) == 0 {
		return nil, nil
	}
	groups := []radioGroup{g}
	numberRadios("start", groups)
	return groups, nil
}

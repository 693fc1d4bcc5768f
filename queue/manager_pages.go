package queue

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"frontdoor/web"
)

// The managers' report: the charter's three standards by day, service and
// site, with waits, no-shows, channel mix and first-contact resolution, for
// a range of dates chosen with a plain form.

const reportsPath = "/staff/reports"

type dateFields struct{ Day, Month, Year string }

func (d dateFields) empty() bool { return d.Day == "" && d.Month == "" && d.Year == "" }

func dateFieldsOf(t time.Time) dateFields {
	return dateFields{strconv.Itoa(t.Day()), strconv.Itoa(int(t.Month())), strconv.Itoa(t.Year())}
}

// parse reads a GOV.UK date input; msg says what is wrong, naming it.
func (d dateFields) parse(name string) (time.Time, string) {
	if d.Day == "" || d.Month == "" || d.Year == "" {
		return time.Time{}, "Enter the " + name + " as a day, month and year"
	}
	day, err1 := strconv.Atoi(d.Day)
	month, err2 := strconv.Atoi(d.Month)
	year, err3 := strconv.Atoi(d.Year)
	if err1 != nil || err2 != nil || err3 != nil || year < 2000 || year > 2200 || month < 1 || month > 12 || day < 1 || day > 31 {
		return time.Time{}, capital(name) + " must be a real date, like 1 12 2026"
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, capital(name) + " must be a real date, like 1 12 2026"
	}
	return t, ""
}

func capital(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

type stdRow struct {
	Name, Hint                 string
	Visits, Within, Pending    int
	Percent, Median, P90, Tag  string
	HasVisits                  bool
	PercentText, WithinOfTotal string
}

type scopeRow struct {
	Name                                string
	Appointments, FirstContact, WalkIns string
	AppWaits, WalkInWaits               string
	NoShows                             int
	Resolution                          string
}

// dateInput is one GOV.UK date input on the form.
type dateInput struct {
	ID, Legend, Example, Err string
	F                        dateFields
}

// scopeTable is the standards by service, day or site.
type scopeTable struct {
	ID, Caption, Scope string
	Rows               []scopeRow
}

type channelRow struct {
	Name    string
	Visits  int
	Percent string
}

type reportsData struct {
	Assets      Assets
	Chooser     *chooser
	SiteID      string
	SiteName    string
	From, To    dateFields
	FromErr     string
	ToErr       string
	Shown       bool
	RangeText   string
	Headline    []stdRow
	Services    []scopeRow
	Days        []scopeRow
	BySite      []scopeRow
	Channels    []channelRow
	Visits      int
	NoShows     int
	Resolution  string
	Resolved    int
	Finished    int
	Estimate    string
	Satisfied   string // the post-visit question's replies, in words
	CSV         string
	DateInputs  []dateInput
	ScopeTables []scopeTable
}

func (p *Pages) reports(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.staffOnly(w, r, reportRoles); !ok {
		return
	}
	ctx := r.Context()
	v := r.URL.Query()
	c, ok := p.chooseSite(w, r, v.Get("site"))
	if !ok {
		return
	}
	st := c.Site
	today := p.q.Clock.Now().In(st.Location())
	d := reportsData{Assets: assets, SiteID: st.ID, SiteName: st.Name,
		From: dateFields{strings.TrimSpace(v.Get("from-day")), strings.TrimSpace(v.Get("from-month")), strings.TrimSpace(v.Get("from-year"))},
		To:   dateFields{strings.TrimSpace(v.Get("to-day")), strings.TrimSpace(v.Get("to-month")), strings.TrimSpace(v.Get("to-year"))}}
	if len(c.Options) > 1 {
		d.Chooser = &chooser{Action: reportsPath, Sites: c.Options}
	}
	if d.From.empty() && d.To.empty() {
		d.From, d.To = dateFieldsOf(today), dateFieldsOf(today)
	}
	from, fromErr := d.From.parse("start date")
	to, toErr := d.To.parse("end date")
	d.FromErr, d.ToErr = fromErr, toErr
	if fromErr == "" && toErr == "" {
		switch {
		case to.Before(from):
			d.ToErr = "The end date must be the same as or after the start date"
		case to.Sub(from) >= MaxReportDays*24*time.Hour:
			d.ToErr = fmt.Sprintf("Choose at most %d days", MaxReportDays)
		}
	}
	var errs []web.FieldError
	if d.FromErr != "" {
		errs = append(errs, web.FieldError{Field: "from-day", Message: d.FromErr})
	}
	if d.ToErr != "" {
		errs = append(errs, web.FieldError{Field: "to-day", Message: d.ToErr})
	}
	d.DateInputs = []dateInput{{ID: "from", Legend: "From", Example: "1 12 2026", Err: d.FromErr, F: d.From},
		{ID: "to", Legend: "To", Example: "31 12 2026", Err: d.ToErr, F: d.To}}
	if len(errs) > 0 {
		p.consoles.Render(w, r, http.StatusBadRequest, "reports", &web.Page{Title: "Customer standards", Errors: errs, Data: d})
		return
	}
	fromText, toText := from.Format(time.DateOnly), to.Format(time.DateOnly)
	rep, err := p.q.StandardsReport(ctx, st.ID, fromText, toText)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	names, _, err := p.serviceNames(ctx, st.ID)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	d.Shown = true
	d.RangeText = from.Format("Monday 2 January 2006")
	if !to.Equal(from) {
		d.RangeText = "from " + from.Format("Monday 2 January 2006") + " to " + to.Format("Monday 2 January 2006")
	}
	q := url.Values{"from": {fromText}, "to": {toText}, "format": {"csv"}}
	d.CSV = "/api/v1/sites/" + url.PathEscape(st.ID) + "/reports/standards?" + q.Encode()
	s := rep.Standards
	d.Headline = []stdRow{
		stdRowOf("Appointments seen within their target", "Called within the service’s appointment target (10 minutes unless set otherwise) of the appointment time, or of arrival when late", s.Appointments),
		stdRowOf("Walk-ins: first contact within target", "Called, or told the wait and offered an appointment, within the first-contact target (10 minutes)", s.WalkInFirstContact),
		stdRowOf("Walk-ins seen within target", "Called within the walk-in target (30 minutes) of arrival", s.WalkIns),
	}
	d.NoShows, d.Finished, d.Resolved = s.NoShows, s.Finished, s.ResolvedFirstContact
	d.Resolution = percentText(s.ResolutionPercent)
	for _, n := range s.Channels {
		d.Visits += n
	}
	for _, ch := range []string{"online", "phone", "reception", "walk_in"} {
		n := s.Channels[ch]
		pc := "–"
		if d.Visits > 0 {
			pc = strconv.FormatFloat(float64(n)*100/float64(d.Visits), 'f', 1, 64) + "%"
		}
		d.Channels = append(d.Channels, channelRow{Name: channelName(ch), Visits: n, Percent: pc})
	}
	switch sat := rep.Satisfaction; {
	case sat.Replies == 1:
		d.Satisfied = fmt.Sprintf("%.1f out of 5 (1 reply)", *sat.Mean)
	case sat.Replies > 1:
		d.Satisfied = fmt.Sprintf("%.1f out of 5 on average (%d replies)", *sat.Mean, sat.Replies)
	default:
		d.Satisfied = "No replies"
	}
	if rep.Estimates.Compared > 0 {
		d.Estimate = fmt.Sprintf("Wait estimates given on arrival were out by %.1f minutes on average (over %d visits).", rep.Estimates.MAE, rep.Estimates.Compared)
	}
	for _, sv := range rep.Services {
		name := names[sv.Service]
		if name == "" {
			name = sv.Service
		}
		d.Services = append(d.Services, scopeRowOf(name, sv.Standards))
	}
	for _, dy := range rep.Days {
		t, _ := time.Parse(time.DateOnly, dy.Date)
		d.Days = append(d.Days, scopeRowOf(t.Format("Mon 2 Jan 2006"), dy.Standards))
	}
	sort.SliceStable(d.Services, func(i, j int) bool { return d.Services[i].Name < d.Services[j].Name })
	if len(c.Options) > 1 {
		for _, o := range c.Options {
			other, err := p.q.StandardsReport(ctx, o.Value, fromText, toText)
			if err != nil {
				p.errors.Render(w, r, err)
				return
			}
			d.BySite = append(d.BySite, scopeRowOf(o.Text, other.Standards))
		}
	}
	d.ScopeTables = []scopeTable{{ID: "by-service", Caption: "By service", Scope: "Service", Rows: d.Services},
		{ID: "by-day", Caption: "By day", Scope: "Day", Rows: d.Days}, {ID: "by-site", Caption: "By customer centre", Scope: "Centre", Rows: d.BySite}}
	p.consoles.Render(w, r, http.StatusOK, "reports", &web.Page{Title: "Customer standards", Data: d})
}

func stdRowOf(name, hint string, s Standard) stdRow {
	row := stdRow{Name: name, Hint: hint, Visits: s.Visits, Within: s.Within, Pending: s.Pending, HasVisits: s.Visits > 0,
		Percent: percentText(s.Percent), Median: waitMinutesText(s.MedianMinutes), P90: waitMinutesText(s.P90Minutes)}
	switch {
	case s.Percent == nil:
		row.Tag = "grey"
	case *s.Percent >= 90:
		row.Tag = "green"
	case *s.Percent >= 75:
		row.Tag = "yellow"
	default:
		row.Tag = "red"
	}
	return row
}

func scopeRowOf(name string, s Standards) scopeRow {
	return scopeRow{Name: name, Appointments: shareText(s.Appointments), FirstContact: shareText(s.WalkInFirstContact),
		WalkIns: shareText(s.WalkIns), AppWaits: waitsText(s.Appointments), WalkInWaits: waitsText(s.WalkIns),
		NoShows: s.NoShows, Resolution: percentText(s.ResolutionPercent)}
}

// shareText is "3 of 4 (75.0%)", or a dash when there were no visits.
func shareText(s Standard) string {
	if s.Visits == 0 {
		return "–"
	}
	return fmt.Sprintf("%d of %d (%s)", s.Within, s.Visits, percentText(s.Percent))
}

// waitsText is the median and 90th-percentile waits, "4.0 / 9.5 min".
func waitsText(s Standard) string {
	if s.MedianMinutes == nil {
		return "–"
	}
	return fmt.Sprintf("%.1f / %.1f min", *s.MedianMinutes, *s.P90Minutes)
}

func percentText(p *float64) string {
	if p == nil {
		return "–"
	}
	return strconv.FormatFloat(*p, 'f', 1, 64) + "%"
}

func waitMinutesText(p *float64) string {
	if p == nil {
		return "–"
	}
	return strconv.FormatFloat(*p, 'f', 1, 64) + " min"
}

func channelName(c string) string {
	switch c {
	case "online":
		return "Booked online"
	case "phone":
		return "Booked by phone"
	case "reception":
		return "Booked at reception"
	case "walk_in":
		return "Walk-in"
	}
	return c
}

package admin

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"frontdoor/booking"
)

// Opening hours, week by week, and dated closures. Times are typed as HH:MM
// into plain text inputs: no time pickers, nothing that needs JavaScript.

// period is one opening period's two inputs.
type period struct{ Open, Close field }

// Fields are the period's two inputs.
func (p period) Fields() []field { return []field{p.Open, p.Close} }

type dayFields struct {
	Day, Legend string
	Periods     []period
	Errors      []string // shown at the top of the day's fieldset
}

// ErrorID is the id of the day's error message.
func (d dayFields) ErrorID() string { return d.Day + "-error" }

type hoursData struct {
	Site    booking.Site
	Action  string
	Days    []dayFields
	Buttons buttons
}

// periodIDs are the input ids of a day's k-th period (from 1).
func periodIDs(day string, k int) (open, close string) {
	if k == 1 {
		return day + "-open", day + "-close"
	}
	return fmt.Sprintf("%s-open-%d", day, k), fmt.Sprintf("%s-close-%d", day, k)
}

// maxPeriods bounds how many periods a day's form reads.
const maxPeriods = 6

func (p *Pages) hoursForm(st booking.Site, f *form, periods int) hoursData {
	d := hoursData{Site: st, Action: sitePath(st.ID, "/hours"), Buttons: buttons{Submit: "Save opening hours", Cancel: sitePath(st.ID, "")}}
	for _, day := range weekdays {
		df := dayFields{Day: day, Legend: dayName(day)}
		for k := 1; k <= periods; k++ {
			oid, cid := periodIDs(day, k)
			open, close := f.text(oid, "Opens", "", "govuk-input--width-5"), f.text(cid, "Closes", "", "govuk-input--width-5")
			if k > 1 {
				open.Label, close.Label = "Opens again", "Closes again"
			}
			for _, fl := range []*field{&open, &close} {
				if fl.Error != "" {
					df.Errors = append(df.Errors, fl.Error)
					fl.Hint = "" // the day's message is the description
				}
			}
			df.Periods = append(df.Periods, period{open, close})
		}
		d.Days = append(d.Days, df)
	}
	return d
}

func (p *Pages) hours(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r)
	h, err := p.Booking.Hours(r.Context(), st.ID)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	f := newForm(nil)
	count := map[string]int{}
	periods := 2
	for _, b := range h.Weekly {
		count[b.Weekday]++
		oid, cid := periodIDs(b.Weekday, count[b.Weekday])
		f.values.Set(oid, b.Open)
		f.values.Set(cid, b.Close)
		periods = max(periods, count[b.Weekday])
	}
	p.render(w, r, http.StatusOK, "hours", "Opening hours – "+st.Name, sitePath(st.ID, ""), nil, p.hoursForm(st, f, periods))
}

func (p *Pages) putHours(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r)
	if !p.readForm(w, r) {
		return
	}
	var order []string
	for _, day := range weekdays {
		for k := 1; k <= maxPeriods; k++ {
			o, c := periodIDs(day, k)
			order = append(order, o, c)
		}
	}
	f := newForm(r.PostForm, order...)
	var weekly []booking.HoursBand
	type where struct {
		day string
		k   int
	}
	var at []where // the form's place of each band in weekly
	periods := 2
	for _, day := range weekdays {
		for k := 1; k <= maxPeriods; k++ {
			oid, cid := periodIDs(day, k)
			if _, posted := f.values[oid]; posted {
				periods = max(periods, k)
			}
			open, close := clock(f.get(oid)), clock(f.get(cid))
			if open == "" && close == "" {
				continue
			}
			f.values.Set(oid, open)
			f.values.Set(cid, close)
			weekly = append(weekly, booking.HoursBand{Weekday: day, Open: open, Close: close})
			at = append(at, where{day, k})
		}
	}
	if _, err := p.Booking.PutWeeklyHours(r.Context(), st.ID, weekly); err != nil {
		e := storeError(err)
		if e == nil {
			p.errors.Render(w, r, err)
			return
		}
		for name, msg := range e.Fields {
			i, part := bandField(name)
			if i < 0 || i >= len(at) {
				f.fail(weekdays[0]+"-open", msg)
				continue
			}
			oid, cid := periodIDs(at[i].day, at[i].k)
			id := oid
			if part == "close" {
				id = cid
			}
			if !strings.HasPrefix(msg, dayName(at[i].day)) {
				msg = dayName(at[i].day) + ": " + sentence(msg)
			}
			f.fail(id, msg)
		}
		p.render(w, r, http.StatusBadRequest, "hours", "Opening hours – "+st.Name, sitePath(st.ID, ""), f, p.hoursForm(st, f, periods))
		return
	}
	p.done(w, r, sitePath(st.ID, ""), "Opening hours saved for "+st.Name+".")
}

// bandField splits a store field name "weekly.3.close" into 3 and "close";
// -1 when it is not one.
func bandField(name string) (int, string) {
	rest, ok := strings.CutPrefix(name, "weekly.")
	if !ok {
		return -1, ""
	}
	num, part, _ := strings.Cut(rest, ".")
	i, err := strconv.Atoi(num)
	if err != nil {
		return -1, ""
	}
	return i, part
}

type closuresData struct {
	Site             booking.Site
	Action           string
	Upcoming         []closureRow
	DateError        string
	Day, Month, Year field
	From, To, Reason field
	Buttons          buttons
}

// DateParts are the date's day, month and year inputs.
func (d closuresData) DateParts() []field { return []field{d.Day, d.Month, d.Year} }

// Times are the part-day closure's two inputs.
func (d closuresData) Times() []field { return []field{d.From, d.To} }

// closureWhen words a closure: "Friday 24 December 2027, all day".
func closureWhen(c booking.Closure) string {
	t, err := time.Parse(time.DateOnly, c.Date)
	if err != nil {
		return c.Date
	}
	if c.From == "" {
		return booking.LongDate(t) + ", all day"
	}
	return booking.LongDate(t) + ", " + c.From + " to " + c.To
}

// upcomingClosures are a site's closures from today on, each with its removal form's address.
func (p *Pages) upcomingClosures(r *http.Request, st booking.Site) ([]closureRow, error) {
	all, err := p.Booking.Closures(r.Context(), st.ID)
	if err != nil {
		return nil, err
	}
	today := p.Booking.Today(st)
	var out []closureRow
	for _, c := range all {
		if c.Date >= today {
			out = append(out, closureRow{StoredClosure: c, When: closureWhen(c.Closure),
				RemovePath: sitePath(st.ID, "/closures/"+strconv.FormatInt(c.ID, 10)+"/remove")})
		}
	}
	return out, nil
}

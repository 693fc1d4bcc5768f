package admin

import (
	"fmt"
	"net/http"
	"strconv"

	"frontdoor/booking"
)

// Closures: a bank holiday, a training afternoon. Adding one stops new
// bookings in it at once; appointments already booked in it stay booked,
// and the page says how many, so that staff can contact those residents.

var closureOrder = []string{"date-day", "date-month", "date-year", "from", "to", "reason"}

func (p *Pages) closuresForm(r *http.Request, st booking.Site, f *form) (closuresData, error) {
	upcoming, err := p.upcomingClosures(r, st)
	if err != nil {
		return closuresData{}, err
	}
	d := closuresData{Site: st, Action: sitePath(st.ID, "/closures"), Upcoming: upcoming,
		Day: f.text("date-day", "Day", "", "govuk-input--width-2"), Month: f.text("date-month", "Month", "", "govuk-input--width-2"),
		Year:    f.text("date-year", "Year", "", "govuk-input--width-4"),
		From:    f.text("from", "From", "", "govuk-input--width-5"),
		To:      f.text("to", "To", "", "govuk-input--width-5"),
		Reason:  f.text("reason", "Reason", "Like Bank holiday or Staff training. It is public, like the opening hours: keep names and private details out of it.", ""),
		Buttons: buttons{Submit: "Add closure"}}
	d.DateError = f.errs["date-day"]
	d.Day.Error, d.Month.Error, d.Year.Error = d.DateError, d.DateError, d.DateError
	return d, nil
}

func (p *Pages) closures(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r)
	d, err := p.closuresForm(r, st, newForm(nil))
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	p.render(w, r, http.StatusOK, "closures", "Closures – "+st.Name, sitePath(st.ID, ""), nil, d)
}

// postedDate reads the date inputs as YYYY-MM-DD, or says what is wrong.
func postedDate(f *form) (string, string) {
	day, month, year := f.get("date-day"), f.get("date-month"), f.get("date-year")
	if day == "" && month == "" && year == "" {
		return "", "Enter the date of the closure"
	}
	d, err1 := strconv.Atoi(day)
	m, err2 := strconv.Atoi(month)
	y, err3 := strconv.Atoi(year)
	if err1 != nil || err2 != nil || err3 != nil || y < 2000 || y > 9999 {
		return "", "Enter a real date, like 24 12 2026"
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d), ""
}

func (p *Pages) addClosure(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r)
	if !p.readForm(w, r) {
		return
	}
	f := newForm(r.PostForm, closureOrder...)
	again := func(status int) {
		d, err := p.closuresForm(r, st, f)
		if err != nil {
			p.errors.Render(w, r, err)
			return
		}
		p.render(w, r, status, "closures", "Closures – "+st.Name, sitePath(st.ID, ""), f, d)
	}
	date, bad := postedDate(f)
	if bad != "" {
		f.fail("date-day", bad)
	}
	from, to := clock(f.get("from")), clock(f.get("to"))
	f.values.Set("from", from)
	f.values.Set("to", to)
	c := booking.Closure{Date: date, From: from, To: to, Reason: f.get("reason")}
	// A date that is not one ("") makes the store refuse the whole form,
	// writing nothing, while it still checks the other fields.
	c, kept, err := p.Booking.AddClosure(r.Context(), st.ID, c)
	if err != nil {
		p.refused(w, r, err, f, map[string]string{"date": "date-day"}, "date-day", again)
		return
	}
	msg := "Closed " + closureWhen(c) + ". Nobody can book then."
	switch kept {
	case 0:
	case 1:
		msg += " 1 appointment already booked then is kept: contact the resident to move it."
	default:
		msg += fmt.Sprintf(" %d appointments already booked then are kept: contact those residents to move them.", kept)
	}
	p.done(w, r, sitePath(st.ID, "/closures"), msg)
}

func (p *Pages) removeClosure(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r)
	id, ok := p.idParam(w, r, "closure")
	if !ok {
		return
	}
	c, err := p.Booking.RemoveClosure(r.Context(), st.ID, id)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	p.done(w, r, sitePath(st.ID, "/closures"), "The closure on "+closureWhen(c)+" is removed: residents can book then again.")
}

package main

import (
	"context"
	"fmt"
	"io"

	"frontdoor"
	"frontdoor/booking"
)

// demo adds a demo customer centre to an empty database and prints a staff
// sign-in and an admin token, once. A database that has any site is left alone.
func (a *app) demo(ctx context.Context, out io.Writer) error {
	sites, err := a.booking.Sites(ctx)
	if err != nil {
		return err
	}
	if len(sites) > 0 {
		fmt.Fprintln(out, "demo: the database already has a site, so nothing was added")
		return nil
	}
	b := a.booking
	const site = "riverside"
	if _, err := b.CreateSite(ctx, booking.SiteInput{ID: site, Name: "Riverside Customer Centre",
		Address: "Riverside House, 1 Market Street, Northtown NT1 1AA", Timezone: "Europe/London"}); err != nil {
		return fmt.Errorf("demo site: %w", err)
	}
	no := false
	services := []booking.ServiceInput{
		{Code: "HOU", Name: "Housing options", DurationMinutes: 30, TicketPrefix: "H"},
		{Code: "CTX", Name: "Council Tax", DurationMinutes: 15, TicketPrefix: "C"},
		{Code: "BEN", Name: "Benefits and support", DurationMinutes: 20, TicketPrefix: "B"},
		{Code: "PRK", Name: "Parking permits", DurationMinutes: 10, TicketPrefix: "P", Bookable: &no},
	}
	for _, s := range services {
		if _, err := b.CreateService(ctx, site, s); err != nil {
			return fmt.Errorf("demo service %s: %w", s.Code, err)
		}
	}
	desks := []booking.DeskInput{
		{ID: "desk-1", Name: "Desk 1", Services: []string{"HOU", "BEN"}},
		{ID: "desk-2", Name: "Desk 2", Services: []string{"HOU", "BEN", "CTX"}},
		{ID: "desk-3", Name: "Desk 3", Services: []string{"CTX", "PRK", "BEN"}},
		{ID: "desk-4", Name: "Desk 4", Services: []string{"CTX", "PRK"}},
	}
	for _, d := range desks {
		if _, err := b.CreateDesk(ctx, site, d); err != nil {
			return fmt.Errorf("demo desk %s: %w", d.ID, err)
		}
	}
	var hours booking.Hours
	weekdays := []string{"monday", "tuesday", "wednesday", "thursday", "friday"}
	for _, d := range weekdays {
		hours.Weekly = append(hours.Weekly, booking.HoursBand{Weekday: d, Open: "09:00", Close: "17:00"})
	}
	for _, day := range []string{"2026-12-25", "2026-12-28", "2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31"} {
		hours.Closures = append(hours.Closures, booking.Closure{Date: day, Reason: "Bank holiday"})
	}
	hours.Closures = append(hours.Closures, booking.Closure{Date: "2026-12-24", From: "13:00", To: "17:00", Reason: "Christmas Eve: closing early"})
	if _, err := b.PutHours(ctx, site, hours); err != nil {
		return fmt.Errorf("demo hours: %w", err)
	}
	// Appointments run in the morning and early afternoon; late afternoons are kept for walk-ins.
	parallel := map[string]int{"HOU": 2, "CTX": 1, "BEN": 1}
	for code, n := range parallel {
		var c booking.Capacity
		for _, d := range weekdays {
			c.Weekly = append(c.Weekly,
				booking.CapacityBand{Weekday: d, From: "09:00", To: "12:30", Parallel: n},
				booking.CapacityBand{Weekday: d, From: "13:30", To: "16:00", Parallel: n})
		}
		if _, err := b.PutCapacity(ctx, site, code, c); err != nil {
			return fmt.Errorf("demo capacity %s: %w", code, err)
		}
	}

	password := newPassword()
	if _, err := a.staff.CreateUser(ctx, "demo-admin", frontdoor.RoleAdmin, "", password); err != nil {
		return fmt.Errorf("demo user: %w", err)
	}
	token, _, err := a.staff.CreateToken(ctx, frontdoor.RoleAdmin, "demo admin token", "")
	if err != nil {
		return fmt.Errorf("demo token: %w", err)
	}
	fmt.Fprintf(out, `Demo centre added: Riverside Customer Centre (site id %q).
Staff sign-in at %s/sign-in
  name:     demo-admin
  password: %s
Admin API token (shown once): %s
`, site, a.cfg.BaseURL, password, token)
	return nil
}

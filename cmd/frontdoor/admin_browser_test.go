package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"frontdoor"
)

// An admin sets up a small centre in Chromium with the admin pages alone:
// the centre, a service, a desk, opening hours, capacity and a closure with
// JavaScript on; then, with JavaScript off, a staff account and a kiosk
// token, each disabled or revoked again. axe-core checks every page on the
// way, each form with its errors shown as well.

func TestBrowserAdminSetsUpACentre(t *testing.T) {
	s := adminServer(t)
	const password = "admin password 1"
	if _, err := s.app.staff.CreateUser(context.Background(), "ada", frontdoor.RoleAdmin, "", password); err != nil {
		t.Fatal(err)
	}
	b := newTab(t, s, desktop)
	b.open("/staff/admin", 200)
	b.signIn("ada", password)
	b.expectHeading("Admin")
	if b.attr(`nav a[href="/staff/admin"]`, "aria-current") != "true" {
		t.Error("the navigation does not mark Admin as the current page")
	}

	b.click(button("Add a customer centre"), 200)
	b.expectHeading("Add a customer centre")
	b.click(button("Add customer centre"), 400) // empty: the errors, checked by axe too
	b.sees("There is a problem", "Enter an id of lower-case letters")
	b.fill("id", "riverside")
	b.fill("name", "Riverside Customer Centre")
	b.fill("address", "Riverside House\n1 Market Street\nNorthtown NT1 1AA")
	if got := eval[string](b, `document.getElementById("timezone").value`); got != "Europe/London" {
		t.Errorf("the time zone starts as %q, want Europe/London", got)
	}
	b.click(button("Add customer centre"), 200)
	b.expectHeading("Riverside Customer Centre")
	b.sees("Riverside Customer Centre added")

	b.click(button("Add a service"), 200)
	b.expectHeading("Add a service")
	b.fill("code", "HOU")
	b.fill("name", "Housing options")
	b.fill("duration_minutes", "30")
	b.fill("ticket_prefix", "H")
	b.click(button("Add service"), 200)
	b.sees("Housing options added", "None: nobody can book")

	b.click(button("Add a desk"), 200)
	b.expectHeading("Add a desk")
	b.fill("id", "desk-1")
	b.fill("name", "Desk 1")
	b.choose("Housing options")
	b.click(button("Add desk"), 200)
	b.sees("Desk 1 added")

	b.click(button("Change opening hours"), 200)
	b.expectHeading("Opening hours")
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
		b.fill(d+"-open", "09:00")
		b.fill(d+"-close", "17:00")
	}
	b.screenshot("admin-hours.png")
	b.fill("saturday-open", "10:00")
	b.click(button("Save opening hours"), 400)
	b.sees("Saturday: enter the closing time as HH:MM")
	eval[string](b, `document.getElementById("saturday-open").value = ""`)
	b.click(button("Save opening hours"), 200)
	b.sees("Opening hours saved", "Monday 09:00 to 17:00", "Saturday Closed")

	b.click(linkTo("Capacity of Housing options"), 200)
	b.expectHeading("Capacity for Housing options")
	b.setValue("band-0-weekday", "monday")
	b.fill("band-0-from", "09:00")
	b.fill("band-0-to", "12:00")
	b.fill("band-0-parallel", "2")
	b.setValue("band-1-weekday", "monday")
	b.fill("band-1-from", "11:00")
	b.fill("band-1-to", "13:00")
	b.fill("band-1-parallel", "1")
	b.click(button("Save capacity"), 400)
	b.sees("Row 2: Monday 11:00–13:00 overlaps 09:00–12:00")
	b.screenshot("admin-capacity.png")
	b.setValue("band-1-weekday", "tuesday")
	b.click(button("Save capacity"), 200)
	b.sees("Capacity for Housing options saved", "2 bands")
	if got := s.freeSlots("riverside", "HOU", "2026-12-07"); len(got) != 6 || got["09:00"] != 2 {
		t.Errorf("Monday's free slots after setting capacity on the page: %v", got)
	}
	b.screenshot("admin-centre.png")

	b.click(button("Add or remove closures"), 200)
	b.expectHeading("Closures")
	b.fill("date-day", "7")
	b.fill("date-month", "12")
	b.fill("date-year", "2026")
	b.click(button("Add closure"), 400)
	b.sees("Enter the reason")
	b.fill("reason", "Staff training")
	b.click(button("Add closure"), 200)
	b.sees("Closed Monday 7 December 2026, all day", "Staff training")
	if got := s.freeSlots("riverside", "HOU", "2026-12-07"); len(got) != 0 {
		t.Errorf("free slots on the closed day: %v", got)
	}

	// With JavaScript off: a staff account and a kiosk token, made and ended.
	off := newTab(t, s, tabOptions{width: 1200, height: 900, jsOff: true})
	off.open("/staff/admin/users", 200)
	off.signIn("ada", password)
	off.expectHeading("Staff")
	off.click(button("Add a staff member"), 200)
	off.fill("name", "Sam Reception")
	off.choose("Reception")
	off.setValue("site", "riverside")
	off.fill("password", "short")
	off.click(button("Add staff member"), 400)
	off.sees("Enter a password of at least 10 characters")
	off.fill("password", "a good long password")
	off.click(button("Add staff member"), 200)
	off.expectHeading("Sam Reception")
	off.sees("Sam Reception added as Reception", "Riverside Customer Centre")
	off.click(button("Disable account"), 200)
	off.expectHeading("Disable Sam Reception’s account?")
	off.click(button("Disable account"), 200)
	off.sees("Sam Reception’s account is disabled", "Disabled")

	off.open("/staff/admin/tokens", 200)
	off.click(button("Create a token"), 200)
	off.fill("name", "Kiosk by the door")
	off.setValue("site", "riverside")
	off.click(button("Create token"), 200)
	off.expectHeading("Token created: Kiosk by the door")
	off.sees("Copy the token now. It will not be shown again.")
	secret := eval[string](off, `document.getElementById("token").value`)
	if !regexp.MustCompile(`^fd_[a-z0-9]+$`).MatchString(secret) {
		t.Fatalf("the token shown is %q", secret)
	}
	s.must(201, "POST", "/api/v1/sites/riverside/tickets", secret, map[string]any{"service": "HOU"})
	off.open("/staff/admin/tokens", 200)
	off.click(linkTo("Revoke Kiosk by the door"), 200)
	off.expectHeading("Revoke the token Kiosk by the door?")
	off.click(button("Revoke token"), 200)
	off.sees("The token Kiosk by the door is revoked")
	s.must(401, "POST", "/api/v1/sites/riverside/tickets", secret, map[string]any{"service": "HOU"})

	off.open("/staff/admin/sites/riverside/desks/desk-1", 200)
	off.expectHeading("Change Desk 1")
	off.open("/staff/admin/sites/riverside/edit", 200)
	off.expectHeading("Change the centre’s details")
	off.open("/staff/admin/sites/riverside/services/HOU", 200)
	off.expectHeading("Change Housing options")
	off.open("/staff/admin/sites/riverside/desks/desk-1/retire", 200)
	off.click(button("Take out of use"), 200)
	off.sees("Desk 1 is out of use")

	seen := strings.Join(append(b.pages, off.pages...), " | ")
	for _, title := range []string{"Admin", "Add a customer centre", "Add a service", "Add a desk", "Opening hours", "Capacity for",
		"Closures", "Staff", "Add a staff member", "Disable Sam", "Device and API tokens", "Create a token", "Token created",
		"Revoke Kiosk", "Change Desk 1", "Change Riverside", "Change Housing options", "Take Desk 1 out of use"} {
		if !strings.Contains(seen, title) {
			t.Errorf("axe never checked a page titled %q (checked: %s)", title, seen)
		}
	}
}

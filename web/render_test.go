package web

import (
	"net/http/httptest"
	"testing"

	"frontdoor"
)

// One navigation item is current: the most specific one the page is under.
func TestNavMarksOnlyTheCurrentSection(t *testing.T) {
	staff := []string{frontdoor.RoleOfficer, frontdoor.RoleReception}
	rd := &Renderer{Nav: []NavLink{
		{Text: "Staff pages", Href: "/staff", Roles: staff},
		{Text: "Phone booking", Href: "/staff/phone-booking", Roles: staff},
		{Text: "Reports", Href: "/staff/reports", Roles: []string{frontdoor.RoleManager}},
		{Text: "Staffing", Href: "/staffing", Roles: staff},
	}}
	officer := &frontdoor.Principal{Kind: "user", Name: "Ann", Role: frontdoor.RoleOfficer}
	tests := []struct {
		path   string
		active string // "" for none
	}{
		{"/staff", "/staff"},
		{"/staff/phone-booking", "/staff/phone-booking"},
		{"/staff/phone-booking/details", "/staff/phone-booking"},
		{"/staff/queue", "/staff"},
		{"/staffing", "/staffing"},
		{"/", ""},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("GET", tc.path, nil)
		r = r.WithContext(frontdoor.WithPrincipal(r.Context(), officer))
		p := &Page{}
		rd.fill(r, p)
		if len(p.Nav) != 3 {
			t.Fatalf("an officer sees %d items, want 3 (not Reports): %+v", len(p.Nav), p.Nav)
		}
		var active []string
		for _, item := range p.Nav {
			if item.Active {
				active = append(active, item.Href)
			}
		}
		switch {
		case tc.active == "" && len(active) != 0,
			tc.active != "" && (len(active) != 1 || active[0] != tc.active):
			t.Errorf("on %s the current items are %v, want %q", tc.path, active, tc.active)
		}
		if p.User != officer {
			t.Errorf("on %s the page's user is %+v", tc.path, p.User)
		}
	}
}

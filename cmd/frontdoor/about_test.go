package main

import (
	"regexp"
	"strings"
	"testing"
)

// The footer's accessibility statement and privacy notice exist, name the
// council, and say what the service's own settings make true.
func TestAccessibilityAndPrivacyPages(t *testing.T) {
	s := start(t, config{ServiceName: "Northtown Council", Contact: "frontdoor@northtown.gov.uk", RetentionDays: 30})
	for path, want := range map[string][]string{
		"/accessibility": {"Accessibility statement for booking a face-to-face appointment", "Northtown Council’s service",
			"contact us: frontdoor@northtown.gov.uk", "Enforcement procedure", "partially compliant", "26 November 2026"},
		"/privacy": {"Northtown Council is the data controller", "30 days after your visit", "reply STOP",
			"the booking pages set no cookies", "Contact us: frontdoor@northtown.gov.uk."},
	} {
		r := s.page("GET", path, nil, nil)
		text := pageText(r.Body)
		if r.Status != 200 {
			t.Fatalf("%s: status %d", path, r.Status)
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s does not say %q", path, w)
			}
		}
	}
	// Without a contact set, residents are sent to reception rather than nowhere.
	bare := start(t, config{})
	if text := pageText(bare.page("GET", "/privacy", nil, nil).Body); !strings.Contains(text, "Ask at the customer centre’s reception.") ||
		!strings.Contains(text, "90 days after your visit") {
		t.Errorf("the default privacy notice:\n%s", text)
	}
	// Every footer link of the start page leads somewhere.
	home := string(bare.page("GET", "/", nil, nil).Body)
	links := regexp.MustCompile(`class="govuk-footer__link" href="(/[^"]*)"`).FindAllStringSubmatch(home, -1)
	if len(links) < 2 {
		t.Fatalf("footer links: %v", links)
	}
	for _, l := range links {
		if r := bare.page("GET", l[1], nil, nil); r.Status != 200 {
			t.Errorf("footer link %s: status %d", l[1], r.Status)
		}
	}
}

// Both pages in Chromium: no serious or critical axe findings, and usable
// on a phone without scrolling sideways.
func TestBrowserAccessibilityAndPrivacyPages(t *testing.T) {
	needBrowser(t)
	s := start(t, config{ServiceName: "Northtown Council"})
	b := newTab(t, s, tabOptions{width: 375, height: 812})
	for _, path := range []string{"/accessibility", "/privacy"} {
		b.open(path, 200)
		b.checkAccessibility()
		b.fitsWidth(path + " on a phone")
	}
}

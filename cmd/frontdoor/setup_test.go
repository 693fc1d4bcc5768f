package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// listed reports the item of GET path's list (under key) whose idKey is id, or nil.
func (s *testServer) listed(path, key, idKey, id string) map[string]any {
	s.t.Helper()
	var list map[string][]map[string]any
	s.must(200, "GET", path, s.Admin, nil).JSON(s.t, &list)
	for _, item := range list[key] {
		if item[idKey] == id {
			return item
		}
	}
	return nil
}

func asMap(t *testing.T, r response) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Good input is answered 201 or 200 with what was saved, and shows in the
// GET list exactly as answered.
func TestSetupCreatesAndLists(t *testing.T) {
	s := start(t, config{})
	s.setupCentre()

	tests := []struct {
		name         string
		method, path string
		body         any
		status       int
		list         string // the GET that must show it
		key, idKey   string // the list's key and the item's id field; "" when the GET answers the object itself
		id           string
	}{
		{"site", "POST", "/api/v1/sites",
			map[string]any{"id": "town-hall", "name": "Town Hall", "address": "2 Market Place\nTownsville", "timezone": "Europe/Belfast", "display_token_required": true},
			201, "/api/v1/sites", "sites", "id", "town-hall"},
		{"service with every setting", "POST", "/api/v1/sites/town-hall/services",
			map[string]any{"code": "prk", "name": "Parking permits", "duration_minutes": 10, "ticket_prefix": "p", "bookable": false, "walk_in": true,
				"appointment_target_minutes": 5, "walk_in_first_contact_minutes": 8, "walk_in_target_minutes": 20, "min_notice_minutes": 0, "horizon_days": 14},
			201, "/api/v1/sites/town-hall/services", "services", "code", "PRK"},
		{"desk", "POST", "/api/v1/sites/town-hall/desks",
			map[string]any{"id": "desk-9", "name": "Desk 9", "services": []string{"prk", "PRK"}},
			201, "/api/v1/sites/town-hall/desks", "desks", "id", "desk-9"},
		{"hours with a lunch closure and closures", "PUT", "/api/v1/sites/town-hall/hours",
			map[string]any{"weekly": []map[string]string{
				{"weekday": "Monday", "open": "13:30", "close": "17:00"},
				{"weekday": "monday", "open": "09:00", "close": "12:30"},
				{"weekday": "saturday", "open": "09:00", "close": "12:00"},
			}, "closures": []any{"2026-12-25", map[string]string{"date": "2026-12-24", "from": "13:00", "to": "17:00", "reason": "Christmas Eve"}}},
			200, "/api/v1/sites/town-hall/hours", "", "", ""},
		{"capacity", "PUT", "/api/v1/sites/town-hall/services/prk/capacity",
			map[string]any{"weekly": []map[string]any{
				{"weekday": "monday", "from": "09:00", "to": "12:00", "parallel": 2},
				{"weekday": "monday", "from": "12:00", "to": "12:30", "parallel": 1},
			}},
			200, "/api/v1/sites/town-hall/services/PRK/capacity", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(tc.method, tc.path, s.Admin, tc.body)
			if r.Status != tc.status {
				t.Fatalf("%s %s: %d, want %d: %s", tc.method, tc.path, r.Status, tc.status, r.Body)
			}
			answer := asMap(t, r)
			var shown map[string]any
			if tc.key == "" {
				shown = asMap(t, s.must(200, "GET", tc.list, "", nil))
			} else {
				shown = s.listed(tc.list, tc.key, tc.idKey, tc.id)
			}
			if !reflect.DeepEqual(answer, shown) {
				t.Errorf("GET %s shows\n%v\nbut %s answered\n%v", tc.list, shown, tc.method, answer)
			}
		})
	}

	// What was saved, in the shape it was saved in.
	svc := s.listed("/api/v1/sites/town-hall/services", "services", "code", "PRK")
	for field, want := range map[string]any{"ticket_prefix": "P", "bookable": false, "walk_in": true, "appointment_target_minutes": 5.0,
		"walk_in_first_contact_minutes": 8.0, "walk_in_target_minutes": 20.0, "min_notice_minutes": 0.0, "horizon_days": 14.0} {
		if svc[field] != want {
			t.Errorf("service %s = %v, want %v", field, svc[field], want)
		}
	}
	if desk := s.listed("/api/v1/sites/town-hall/desks", "desks", "id", "desk-9"); fmt.Sprint(desk["services"]) != "[PRK]" {
		t.Errorf("desk services = %v, want [PRK]", desk["services"])
	}
	var hours struct {
		Weekly   []map[string]string
		Closures []map[string]string
	}
	s.must(200, "GET", "/api/v1/sites/town-hall/hours", "", nil).JSON(t, &hours)
	if got := fmt.Sprint(hours.Weekly); got != "[map[close:12:30 open:09:00 weekday:monday] map[close:17:00 open:13:30 weekday:monday] map[close:12:00 open:09:00 weekday:saturday]]" {
		t.Errorf("weekly hours: %s", got)
	}
	if len(hours.Closures) != 2 || hours.Closures[0]["from"] != "13:00" || hours.Closures[1]["date"] != "2026-12-25" || hours.Closures[1]["from"] != "" {
		t.Errorf("closures: %v", hours.Closures)
	}
	if n := s.count(`SELECT COUNT(*) FROM sites WHERE id = 'town-hall' AND display_token_required = 1 AND timezone = 'Europe/Belfast'`); n != 1 {
		t.Errorf("sites rows for town-hall: %d", n)
	}
}

// A PUT replaces the hours and capacity; it does not add to them.
func TestSetupPutReplaces(t *testing.T) {
	s := start(t, config{})
	s.setupCentre()
	s.must(200, "PUT", "/api/v1/sites/city-hall/hours", s.Admin, map[string]any{
		"weekly": []map[string]string{{"weekday": "tuesday", "open": "10:00", "close": "16:00"}}})
	s.must(200, "PUT", "/api/v1/sites/city-hall/services/HOU/capacity", s.Admin, map[string]any{
		"weekly": []map[string]any{{"weekday": "tuesday", "from": "10:00", "to": "11:00", "parallel": 3}}})
	if n := s.count(`SELECT COUNT(*) FROM opening_hours WHERE site_id = 'city-hall'`); n != 1 {
		t.Errorf("opening_hours rows: %d, want 1", n)
	}
	if n := s.count(`SELECT COUNT(*) FROM closures WHERE site_id = 'city-hall'`); n != 0 {
		t.Errorf("closures rows: %d, want 0", n)
	}
	if n := s.count(`SELECT COUNT(*) FROM capacity_bands WHERE site_id = 'city-hall' AND service_code = 'HOU'`); n != 1 {
		t.Errorf("capacity rows: %d, want 1", n)
	}
}

func TestServiceDefaults(t *testing.T) {
	s := start(t, config{})
	s.setupCentre()
	r := s.must(201, "POST", "/api/v1/sites/city-hall/services", s.Admin,
		map[string]any{"code": "BEN", "name": "Benefits", "duration_minutes": 20, "ticket_prefix": "B"})
	want := map[string]any{"bookable": true, "walk_in": true, "appointment_target_minutes": 10.0, "walk_in_first_contact_minutes": 10.0,
		"walk_in_target_minutes": 30.0, "min_notice_minutes": 120.0, "horizon_days": 90.0}
	answered := asMap(t, r)
	listed := s.listed("/api/v1/sites/city-hall/services", "services", "code", "BEN")
	for field, v := range want {
		if answered[field] != v {
			t.Errorf("answer: %s = %v, want %v", field, answered[field], v)
		}
		if listed[field] != v {
			t.Errorf("list: %s = %v, want %v", field, listed[field], v)
		}
	}
	n := s.count(`SELECT COUNT(*) FROM services WHERE site_id = 'city-hall' AND code = 'BEN' AND bookable = 1 AND walk_in = 1
		AND appointment_target_minutes = 10 AND walk_in_first_contact_minutes = 10 AND walk_in_target_minutes = 30
		AND min_notice_minutes = 120 AND horizon_days = 90`)
	if n != 1 {
		t.Errorf("the stored service does not have the defaults")
	}
}

// Every kind of bad input is a 4xx with a code, a message and (where a
// field is to blame) a message for that field, and writes nothing.
func TestSetupRefusesBadInput(t *testing.T) {
	s := start(t, config{})
	s.setupCentre()
	s.must(201, "POST", "/api/v1/sites", s.Admin, map[string]any{"id": "town-hall", "name": "Town Hall", "address": "2 Market Place", "timezone": "Europe/London"})
	s.must(201, "POST", "/api/v1/sites/town-hall/services", s.Admin, map[string]any{"code": "HOU", "name": "Housing", "duration_minutes": 20, "ticket_prefix": "H"})
	s.must(201, "POST", "/api/v1/users", s.Admin, map[string]any{"name": "Ann Admin", "role": "admin", "password": "correct horse battery"})

	site := func(change map[string]any) map[string]any {
		m := map[string]any{"id": "new-site", "name": "New Site", "address": "3 New Road", "timezone": "Europe/London"}
		for k, v := range change {
			m[k] = v
		}
		return m
	}
	service := func(change map[string]any) map[string]any {
		m := map[string]any{"code": "BEN", "name": "Benefits", "duration_minutes": 20, "ticket_prefix": "B"}
		for k, v := range change {
			m[k] = v
		}
		return m
	}
	desk := func(change map[string]any) map[string]any {
		m := map[string]any{"id": "desk-2", "name": "Desk 2", "services": []string{"HOU"}}
		for k, v := range change {
			m[k] = v
		}
		return m
	}
	hours := func(weekly ...map[string]string) map[string]any {
		return map[string]any{"weekly": weekly}
	}
	band := func(day, open, close string) map[string]string {
		return map[string]string{"weekday": day, "open": open, "close": close}
	}
	closures := func(c ...any) map[string]any {
		return map[string]any{"weekly": []map[string]string{band("monday", "09:00", "17:00")}, "closures": c}
	}
	capacity := func(bands ...map[string]any) map[string]any { return map[string]any{"weekly": bands} }
	cband := func(day, from, to string, parallel any) map[string]any {
		return map[string]any{"weekday": day, "from": from, "to": to, "parallel": parallel}
	}
	big := `{"id":"big","name":"Big","address":"` + strings.Repeat("x", 70<<10) + `","timezone":"Europe/London"}`

	const (
		sites    = "/api/v1/sites"
		services = "/api/v1/sites/city-hall/services"
		desks    = "/api/v1/sites/city-hall/desks"
		hoursURL = "/api/v1/sites/city-hall/hours"
		capURL   = "/api/v1/sites/city-hall/services/HOU/capacity"
	)
	tests := []struct {
		name         string
		method, path string
		body         any
		headers      []string
		status       int
		code         string
		field        string // "" when no field is to blame
	}{
		// sites
		{"unknown time zone", "POST", sites, site(map[string]any{"timezone": "Mars/Olympus_Mons"}), nil, 400, "validation_failed", "timezone"},
		{"Local time zone", "POST", sites, site(map[string]any{"timezone": "Local"}), nil, 400, "validation_failed", "timezone"},
		{"zone path escape", "POST", sites, site(map[string]any{"timezone": "../../etc/passwd"}), nil, 400, "validation_failed", "timezone"},
		{"no time zone", "POST", sites, site(map[string]any{"timezone": ""}), nil, 400, "validation_failed", "timezone"},
		{"bad site id", "POST", sites, site(map[string]any{"id": "City Hall"}), nil, 400, "validation_failed", "id"},
		{"blank site name", "POST", sites, site(map[string]any{"name": "   "}), nil, 400, "validation_failed", "name"},
		{"site name too long", "POST", sites, site(map[string]any{"name": strings.Repeat("n", 101)}), nil, 400, "validation_failed", "name"},
		{"control character in address", "POST", sites, site(map[string]any{"address": "1 Road\x00"}), nil, 400, "validation_failed", "address"},
		{"duplicate site id", "POST", sites, site(map[string]any{"id": "city-hall"}), nil, 409, "duplicate", "id"},
		{"malformed JSON", "POST", sites, `{"id":"x",`, nil, 400, "bad_json", ""},
		{"not JSON at all", "POST", sites, `id=x&name=y`, nil, 400, "bad_json", ""},
		{"JSON list", "POST", sites, `[]`, nil, 400, "bad_json", ""},
		{"JSON null", "POST", sites, `null`, nil, 400, "bad_json", ""},
		{"two JSON values", "POST", sites, `{"id":"a"} {"id":"b"}`, nil, 400, "bad_json", ""},
		{"site id as a number", "POST", sites, site(map[string]any{"id": 7}), nil, 400, "bad_json", "id"},
		{"display_token_required as text", "POST", sites, site(map[string]any{"display_token_required": "yes"}), nil, 400, "bad_json", "display_token_required"},
		{"empty body", "POST", sites, "", nil, 400, "bad_json", ""},
		{"oversized body", "POST", sites, big, nil, 400, "body_too_large", ""},
		{"oversized body with Idempotency-Key", "POST", sites, big, []string{"Idempotency-Key", "big-1"}, 400, "body_too_large", ""},
		{"plain text Content-Type", "POST", sites, site(nil), []string{"Content-Type", "text/plain"}, 400, "unsupported_media_type", ""},
		{"form Content-Type", "POST", sites, site(nil), []string{"Content-Type", "application/x-www-form-urlencoded"}, 400, "unsupported_media_type", ""},

		// services
		{"duration as a string", "POST", services, service(map[string]any{"duration_minutes": "20"}), nil, 400, "bad_json", "duration_minutes"},
		{"bookable as a string", "POST", services, service(map[string]any{"bookable": "yes"}), nil, 400, "bad_json", "bookable"},
		{"no duration", "POST", services, service(map[string]any{"duration_minutes": nil}), nil, 400, "validation_failed", "duration_minutes"},
		{"duration too long", "POST", services, service(map[string]any{"duration_minutes": 481}), nil, 400, "validation_failed", "duration_minutes"},
		{"bad service code", "POST", services, service(map[string]any{"code": "B"}), nil, 400, "validation_failed", "code"},
		{"two-letter ticket prefix", "POST", services, service(map[string]any{"ticket_prefix": "BE"}), nil, 400, "validation_failed", "ticket_prefix"},
		{"zero standard", "POST", services, service(map[string]any{"appointment_target_minutes": 0}), nil, 400, "validation_failed", "appointment_target_minutes"},
		{"walk-in standard below first contact", "POST", services, service(map[string]any{"walk_in_first_contact_minutes": 20, "walk_in_target_minutes": 15}), nil, 400, "validation_failed", "walk_in_target_minutes"},
		{"negative notice", "POST", services, service(map[string]any{"min_notice_minutes": -1}), nil, 400, "validation_failed", "min_notice_minutes"},
		{"zero horizon", "POST", services, service(map[string]any{"horizon_days": 0}), nil, 400, "validation_failed", "horizon_days"},
		{"duplicate service code", "POST", services, service(map[string]any{"code": "HOU", "ticket_prefix": "H"}), nil, 409, "duplicate", "code"},
		{"duplicate service code in lower case", "POST", services, service(map[string]any{"code": "hou"}), nil, 409, "duplicate", "code"},
		{"service at an unknown site", "POST", "/api/v1/sites/nowhere/services", service(nil), nil, 404, "not_found", ""},

		// desks
		{"unknown service code on a desk", "POST", desks, desk(map[string]any{"services": []string{"HOU", "XYZ"}}), nil, 422, "unknown_service", "services"},
		{"another site's service on a desk", "POST", "/api/v1/sites/town-hall/desks", desk(map[string]any{"services": []string{"CTX"}}), nil, 422, "unknown_service", "services"},
		{"desk without services", "POST", desks, desk(map[string]any{"services": []string{}}), nil, 400, "validation_failed", "services"},
		{"desk services as text", "POST", desks, desk(map[string]any{"services": "HOU"}), nil, 400, "bad_json", "services"},
		{"bad desk id", "POST", desks, desk(map[string]any{"id": "Desk 2"}), nil, 400, "validation_failed", "id"},
		{"duplicate desk id", "POST", desks, desk(map[string]any{"id": "desk-1"}), nil, 409, "duplicate", "id"},
		{"desk id used at another site", "POST", "/api/v1/sites/town-hall/desks", desk(map[string]any{"id": "desk-1"}), nil, 409, "duplicate", "id"},
		{"desk services null", "POST", desks, desk(map[string]any{"services": nil}), nil, 400, "validation_failed", "services"},
		{"unknown service and a bad name", "POST", desks, desk(map[string]any{"name": "", "services": []string{"XYZ"}}), nil, 400, "validation_failed", "name"},
		{"desk at an unknown site", "POST", "/api/v1/sites/nowhere/desks", desk(nil), nil, 404, "not_found", ""},

		// hours
		{"overlapping hours", "PUT", hoursURL, hours(band("monday", "09:00", "12:00"), band("monday", "11:00", "13:00")), nil, 400, "validation_failed", "weekly.1"},
		{"the same band twice", "PUT", hoursURL, hours(band("monday", "09:00", "12:00"), band("Monday", "09:00", "12:00")), nil, 400, "validation_failed", "weekly.1"},
		{"close before open", "PUT", hoursURL, hours(band("monday", "17:00", "09:00")), nil, 400, "validation_failed", "weekly.0.close"},
		{"close at open", "PUT", hoursURL, hours(band("monday", "09:00", "09:00")), nil, 400, "validation_failed", "weekly.0.close"},
		{"bad open time", "PUT", hoursURL, hours(band("monday", "9am", "17:00")), nil, 400, "validation_failed", "weekly.0.open"},
		{"open without leading zero", "PUT", hoursURL, hours(band("monday", "9:00", "17:00")), nil, 400, "validation_failed", "weekly.0.open"},
		{"close at 24:00", "PUT", hoursURL, hours(band("monday", "09:00", "24:00")), nil, 400, "validation_failed", "weekly.0.close"},
		{"bad weekday", "PUT", hoursURL, hours(band("funday", "09:00", "17:00")), nil, 400, "validation_failed", "weekly.0.weekday"},
		{"weekday as a number", "PUT", hoursURL, `{"weekly":[{"weekday":1,"open":"09:00","close":"17:00"}]}`, nil, 400, "bad_json", "weekly.weekday"},
		{"bad closure date", "PUT", hoursURL, closures("2026-02-30"), nil, 400, "validation_failed", "closures.0"},
		{"closure date in UK order", "PUT", hoursURL, closures("25/12/2026"), nil, 400, "validation_failed", "closures.0"},
		{"part-day closure with only from", "PUT", hoursURL, closures(map[string]string{"date": "2026-12-24", "from": "13:00"}), nil, 400, "validation_failed", "closures.0"},
		{"part-day closure ending before it starts", "PUT", hoursURL, closures(map[string]string{"date": "2026-12-24", "from": "13:00", "to": "12:00"}), nil, 400, "validation_failed", "closures.0"},
		{"closure as a number", "PUT", hoursURL, `{"closures":[20261225]}`, nil, 400, "bad_json", ""},
		{"hours malformed JSON", "PUT", hoursURL, `{"weekly":[`, nil, 400, "bad_json", ""},
		{"hours null", "PUT", hoursURL, `null`, nil, 400, "bad_json", ""},
		{"hours at an unknown site", "PUT", "/api/v1/sites/nowhere/hours", hours(band("monday", "09:00", "17:00")), nil, 404, "not_found", ""},

		// capacity
		{"overlapping capacity bands", "PUT", capURL, capacity(cband("monday", "09:00", "12:00", 1), cband("monday", "11:30", "13:00", 1)), nil, 400, "validation_failed", "weekly.1"},
		{"parallel 0", "PUT", capURL, capacity(cband("monday", "09:00", "12:00", 0)), nil, 400, "validation_failed", "weekly.0.parallel"},
		{"parallel as text", "PUT", capURL, capacity(cband("monday", "09:00", "12:00", "2")), nil, 400, "bad_json", "weekly.parallel"},
		{"capacity ending before it starts", "PUT", capURL, capacity(cband("monday", "12:00", "09:00", 1)), nil, 400, "validation_failed", "weekly.0.to"},
		{"capacity bad weekday", "PUT", capURL, capacity(cband("mon", "09:00", "12:00", 1)), nil, 400, "validation_failed", "weekly.0.weekday"},
		{"capacity for an unknown service", "PUT", "/api/v1/sites/city-hall/services/XYZ/capacity", capacity(cband("monday", "09:00", "12:00", 1)), nil, 404, "not_found", ""},
		{"capacity at an unknown site", "PUT", "/api/v1/sites/nowhere/services/HOU/capacity", capacity(cband("monday", "09:00", "12:00", 1)), nil, 404, "not_found", ""},

		// staff users and tokens
		{"short password", "POST", "/api/v1/users", map[string]any{"name": "Bob", "role": "officer", "password": "short"}, nil, 400, "validation_failed", "password"},
		{"user with a device role", "POST", "/api/v1/users", map[string]any{"name": "Bob", "role": "device", "site": "city-hall", "password": "correct horse battery"}, nil, 400, "validation_failed", "role"},
		{"user of an unknown site", "POST", "/api/v1/users", map[string]any{"name": "Bob", "role": "officer", "site": "nowhere", "password": "correct horse battery"}, nil, 400, "validation_failed", "site"},
		{"duplicate user name", "POST", "/api/v1/users", map[string]any{"name": "ann admin", "role": "officer", "password": "correct horse battery"}, nil, 409, "duplicate", "name"},
		{"device token without a site", "POST", "/api/v1/tokens", map[string]any{"name": "Kiosk", "role": "device"}, nil, 400, "validation_failed", "site"},
		{"token of an unknown site", "POST", "/api/v1/tokens", map[string]any{"name": "Kiosk", "role": "device", "site": "nowhere"}, nil, 400, "validation_failed", "site"},
		{"token with an unknown role", "POST", "/api/v1/tokens", map[string]any{"name": "CRM", "role": "root"}, nil, 400, "validation_failed", "role"},
		{"revoke an unknown token", "POST", "/api/v1/tokens/999/revoke", nil, nil, 404, "not_found", ""},
		{"revoke a token that is not a number", "POST", "/api/v1/tokens/abc/revoke", nil, nil, 404, "not_found", ""},

		// the router itself
		{"unknown API path", "POST", "/api/v1/sitez", site(nil), nil, 404, "not_found", ""},
		{"method not allowed", "DELETE", "/api/v1/sites", nil, nil, 405, "method_not_allowed", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := s.dump()
			r := s.do(tc.method, tc.path, s.Admin, tc.body, tc.headers...)
			if r.Status >= 500 {
				t.Fatalf("%s %s: %d: %s", tc.method, tc.path, r.Status, r.Body)
			}
			if r.Status != tc.status {
				t.Errorf("%s %s: status %d, want %d: %s", tc.method, tc.path, r.Status, tc.status, r.Body)
			}
			code, fields := r.ErrorCode(t) // fails the test when there is no message
			if code != tc.code {
				t.Errorf("error.code = %q, want %q: %s", code, tc.code, r.Body)
			}
			if tc.field != "" && strings.TrimSpace(fields[tc.field]) == "" {
				t.Errorf("error.fields = %v, want a message for %q", fields, tc.field)
			}
			if after := s.dump(); after != before {
				t.Errorf("a refused request changed the database:\nbefore\n%s\nafter\n%s", before, after)
			}
		})
	}
}

// Whatever arrives, setup answers with a 4xx, never a 500: a sweep of odd
// JSON values through every field of every setup endpoint.
func TestSetupNeverAnswers500(t *testing.T) {
	s := start(t, config{})
	s.setupCentre()
	odd := []any{nil, true, -1, 0, 1e300, 2.5, "", " ", "\x00", strings.Repeat("é", 500), []any{}, []any{nil}, []any{1, "x"}, map[string]any{}}
	endpoints := []struct {
		method, path string
		fields       []string
		valid        func() map[string]any
	}{
		{"POST", "/api/v1/sites", []string{"id", "name", "address", "timezone", "display_token_required"}, func() map[string]any {
			return map[string]any{"id": "s", "name": "S", "address": "A", "timezone": "Europe/London"}
		}},
		{"POST", "/api/v1/sites/city-hall/services", []string{"code", "name", "duration_minutes", "ticket_prefix", "bookable", "walk_in",
			"appointment_target_minutes", "walk_in_first_contact_minutes", "walk_in_target_minutes", "min_notice_minutes", "horizon_days"}, func() map[string]any {
			return map[string]any{"code": "BEN", "name": "Benefits", "duration_minutes": 20, "ticket_prefix": "B"}
		}},
		{"POST", "/api/v1/sites/city-hall/desks", []string{"id", "name", "services"}, func() map[string]any {
			return map[string]any{"id": "desk-2", "name": "Desk 2", "services": []string{"HOU"}}
		}},
		{"PUT", "/api/v1/sites/city-hall/hours", []string{"weekly", "closures"}, func() map[string]any {
			return map[string]any{"weekly": []map[string]string{{"weekday": "monday", "open": "09:00", "close": "17:00"}}, "closures": []string{"2026-12-25"}}
		}},
		{"PUT", "/api/v1/sites/city-hall/services/HOU/capacity", []string{"weekly"}, func() map[string]any {
			return map[string]any{"weekly": []map[string]any{{"weekday": "monday", "from": "09:00", "to": "12:00", "parallel": 1}}}
		}},
	}
	for _, e := range endpoints {
		for _, f := range e.fields {
			for _, v := range odd {
				body := e.valid()
				body[f] = v
				j, _ := json.Marshal(body)
				r := s.do(e.method, e.path, s.Admin, j)
				if r.Status >= 500 {
					t.Errorf("%s %s with %s: %d: %s", e.method, e.path, j, r.Status, r.Body)
				}
				if r.Status >= 400 {
					r.ErrorCode(t)
				}
			}
		}
	}
	// Nested odd values in the lists.
	for _, body := range []string{
		`{"weekly":[null]}`, `{"weekly":[{}]}`, `{"weekly":[[]]}`, `{"closures":[null]}`, `{"closures":[{}]}`, `{"closures":[{"date":5}]}`,
		`{"closures":[{"date":"2026-12-24","from":"13:00","to":"17:00","reason":"` + strings.Repeat("r", 201) + `"}]}`,
	} {
		for _, path := range []string{"/api/v1/sites/city-hall/hours", "/api/v1/sites/city-hall/services/HOU/capacity"} {
			if r := s.do("PUT", path, s.Admin, body); r.Status >= 500 {
				t.Errorf("PUT %s %s: %d: %s", path, body, r.Status, r.Body)
			}
		}
	}
}

// Twenty admins creating the same thing at once: one is created, the others
// are told it exists, and none meets a 500.
func TestSetupDuplicatesUnderConcurrency(t *testing.T) {
	s := start(t, config{})
	s.setupCentre()
	tests := []struct {
		path  string
		body  map[string]any
		count string
	}{
		{"/api/v1/sites", map[string]any{"id": "race", "name": "Race", "address": "1 Road", "timezone": "Europe/London"},
			`SELECT COUNT(*) FROM sites WHERE id = 'race'`},
		{"/api/v1/sites/city-hall/services", map[string]any{"code": "BEN", "name": "Benefits", "duration_minutes": 20, "ticket_prefix": "B"},
			`SELECT COUNT(*) FROM services WHERE code = 'BEN'`},
		{"/api/v1/sites/city-hall/desks", map[string]any{"id": "desk-2", "name": "Desk 2", "services": []string{"HOU", "CTX"}},
			`SELECT COUNT(*) FROM desks WHERE id = 'desk-2'`},
	}
	for _, tc := range tests {
		const n = 20
		statuses := make([]int, n)
		errs := make([]error, n)
		ready := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-ready
				r, err := s.send("POST", tc.path, s.Admin, tc.body)
				statuses[i], errs[i] = r.Status, err
			})
		}
		close(ready)
		wg.Wait()
		got := map[int]int{}
		for i := range n {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			got[statuses[i]]++
		}
		if got[201] != 1 || got[409] != n-1 {
			t.Errorf("POST %s × %d at once: answers %v, want one 201 and %d × 409", tc.path, n, got, n-1)
		}
		if c := s.count(tc.count); c != 1 {
			t.Errorf("POST %s × %d at once: %d created", tc.path, n, c)
		}
	}
	if n := s.count(`SELECT COUNT(*) FROM desk_services WHERE desk_id = 'desk-2'`); n != 2 {
		t.Errorf("desk-2 serves %d services, want 2", n)
	}
}

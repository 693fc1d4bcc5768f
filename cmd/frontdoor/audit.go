package main

import (
	"context"
	"strconv"

	"frontdoor/audit"
	"frontdoor/web"
)

// auditHandler wires the audit view to the sites (for their zones) and to
// staff and token names (the page shows them beside the labels).
func (a *app) auditHandler(rd *web.Renderer) *audit.Handler {
	h := audit.NewHandler(a.db, a.clock, rd)
	h.Sites = func(ctx context.Context) ([]audit.Site, error) {
		sites, err := a.booking.Sites(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]audit.Site, 0, len(sites))
		for _, s := range sites {
			out = append(out, audit.Site{ID: s.ID, Name: s.Name, Location: s.Location()})
		}
		return out, nil
	}
	h.Names = func(ctx context.Context) (map[string]string, error) {
		names := map[string]string{}
		users, err := a.staff.Users(ctx) // disabled accounts too: their past actions keep their names
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			names["user:"+strconv.FormatInt(u.ID, 10)] = u.Name
		}
		tokens, err := a.staff.ListTokens(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range tokens {
			names["token:"+strconv.FormatInt(t.ID, 10)] = t.Name
		}
		return names, nil
	}
	return h
}

package frontdoor

import (
	"context"
	"slices"
	"strconv"
)

// Roles. Staff users have one of the first four; device tokens (kiosks, lobby
// screens) have RoleDevice and are scoped to one site.
const (
	RoleAdmin     = "admin"
	RoleManager   = "manager"
	RoleReception = "reception"
	RoleOfficer   = "officer"
	RoleDevice    = "device"
)

// StaffRoles are the roles a staff user may have.
var StaffRoles = []string{RoleAdmin, RoleManager, RoleReception, RoleOfficer}

// Principal is who is making a request: a signed-in staff user or the holder
// of a bearer token.
type Principal struct {
	Kind string // "user" or "token"
	ID   int64
	Name string
	Role string
	Site string // "" for every site
}

// Label names the principal in logs and the audit trail without personal data.
func (p *Principal) Label() string {
	if p == nil {
		return "public"
	}
	return p.Kind + ":" + strconv.FormatInt(p.ID, 10)
}

// Can reports whether p holds one of roles; admins can do everything staff can.
func (p *Principal) Can(roles ...string) bool {
	if p == nil {
		return false
	}
	if p.Role == RoleAdmin {
		return true
	}
	return slices.Contains(roles, p.Role)
}

// CanSite reports whether p may act on site.
func (p *Principal) CanSite(site string) bool {
	return p != nil && (p.Site == "" || p.Site == site)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the request's principal, or nil for a public request.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// Authorize checks that the request's principal holds one of roles and may
// act on site (when site is not ""): 401 without credentials, 403 otherwise.
func Authorize(ctx context.Context, site string, roles ...string) (*Principal, error) {
	p := PrincipalFrom(ctx)
	if p == nil {
		return nil, Errorf(Unauthorized, "unauthorized", "Sign in or send a valid bearer token.")
	}
	if !p.Can(roles...) {
		return nil, Errorf(Forbidden, "forbidden", "Your role (%s) cannot do this.", p.Role)
	}
	if site != "" && !p.CanSite(site) {
		return nil, Errorf(Forbidden, "forbidden", "Your access is limited to another site.")
	}
	return p, nil
}

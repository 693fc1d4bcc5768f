package admin

import (
	"net/http"
	"strconv"

	"frontdoor"
	"frontdoor/staff"
)

// Device and API tokens: list them, make one (its secret is shown once, on
// the page after the form), and revoke one. Only a hash of each secret is
// stored, so a lost one cannot be shown again: it is revoked and replaced.

type tokenRow struct {
	staff.Token
	RoleName, SiteName, Created, Revoked string
	RevokePath                           string
}

type tokensData struct {
	Tokens []tokenRow
	Scoped string
}

func (p *Pages) tokens(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pr := principal(r)
	list, err := p.Staff.ListTokens(ctx)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	names, err := p.siteNames(ctx)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	d := tokensData{}
	if pr.Site != "" {
		d.Scoped = names[pr.Site]
	}
	for _, t := range list {
		if !pr.CanSite(t.Site) {
			continue
		}
		row := tokenRow{Token: t, RoleName: roleName(t.Role), SiteName: names[t.Site], Created: longDate(t.CreatedAt),
			RevokePath: Path + "/tokens/" + strconv.FormatInt(t.ID, 10) + "/revoke"}
		if t.RevokedAt != nil {
			row.Revoked = longDate(*t.RevokedAt)
		}
		d.Tokens = append(d.Tokens, row)
	}
	p.render(w, r, http.StatusOK, "tokens", "Device and API tokens", Path, nil, d)
}

type tokenFormData struct {
	Name       field
	Role, Site group
	Buttons    buttons
}

var tokenOrder = []string{"name", "role", "site"}

func (p *Pages) renderNewToken(w http.ResponseWriter, r *http.Request, status int, f *form) {
	sites, err := p.siteChoices(r.Context(), principal(r), "All centres (not for a device)")
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	d := tokenFormData{
		Name:    f.text("name", "Name", "What it is for, so that you know which to revoke, like Kiosk by the main door", "govuk-input--width-20"),
		Role:    f.choices("role", "What it can do", "", roleChoices(true)),
		Site:    f.choices("site", "Customer centre", "A device token works at one centre only", sites),
		Buttons: buttons{Submit: "Create token", Cancel: Path + "/tokens"}}
	d.Name.Autocomplete = "off"
	p.render(w, r, status, "token_form", "Create a token", Path+"/tokens", f, d)
}

func (p *Pages) newToken(w http.ResponseWriter, r *http.Request) {
	f := newForm(nil)
	f.values.Set("role", frontdoor.RoleDevice)
	f.values.Set("site", principal(r).Site)
	p.renderNewToken(w, r, http.StatusOK, f)
}

// newTokenCookie carries a new token's secret to the page that shows it,
// once; its path is that page's alone.
const newTokenCookie = "frontdoor_new_token"

func (p *Pages) createToken(w http.ResponseWriter, r *http.Request) {
	if !p.readForm(w, r) {
		return
	}
	f := newForm(r.PostForm, tokenOrder...)
	role, site := f.get("role"), f.get("site")
	ownSite(f, principal(r), site)
	switch {
	case role == "":
		f.fail("role", "Choose what the token can do")
	case role == frontdoor.RoleDevice && site == "":
		f.fail("site", "Choose the centre the kiosk or lobby screen is at")
	}
	if f.failed() {
		p.renderNewToken(w, r, http.StatusBadRequest, f)
		return
	}
	secret, t, err := p.Staff.CreateToken(r.Context(), role, f.get("name"), site)
	if err != nil {
		p.refused(w, r, err, f, nil, "name", func(status int) { p.renderNewToken(w, r, status, f) })
		return
	}
	to := Path + "/tokens/" + strconv.FormatInt(t.ID, 10) + "/created"
	http.SetCookie(w, &http.Cookie{Name: newTokenCookie, Value: secret, Path: to, MaxAge: 300, HttpOnly: true, Secure: p.Secure,
		SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, to, http.StatusSeeOther)
}

type tokenCreatedData struct {
	Token  tokenRow
	Secret string // "" once it has been shown
	Device bool
	Tokens string
}

// tokenCreated shows a new token's secret the one time: the cookie that
// carried it is checked against the token and then cleared.
func (p *Pages) tokenCreated(w http.ResponseWriter, r *http.Request) {
	t, ok := p.siteToken(w, r)
	if !ok {
		return
	}
	d := tokenCreatedData{Token: tokenRow{Token: t, RoleName: roleName(t.Role)}, Device: t.Role == frontdoor.RoleDevice, Tokens: Path + "/tokens"}
	if c, err := r.Cookie(newTokenCookie); err == nil && c.Value != "" {
		http.SetCookie(w, &http.Cookie{Name: newTokenCookie, Value: "", Path: r.URL.Path, MaxAge: -1, HttpOnly: true, Secure: p.Secure,
			SameSite: http.SameSiteStrictMode})
		if mine, err := p.Staff.TokenSecretIs(r.Context(), t.ID, c.Value); err != nil {
			p.errors.Render(w, r, err)
			return
		} else if mine && t.RevokedAt == nil {
			d.Secret = c.Value
		}
	}
	p.render(w, r, http.StatusOK, "token_created", "Token created: "+t.Name, "", nil, d)
}

// siteToken reads the token in the address, if this admin may see it.
func (p *Pages) siteToken(w http.ResponseWriter, r *http.Request) (staff.Token, bool) {
	id, ok := p.idParam(w, r, "token")
	if !ok {
		return staff.Token{}, false
	}
	t, err := p.Staff.Token(r.Context(), id)
	if err == nil && !principal(r).CanSite(t.Site) {
		err = frontdoor.Errorf(frontdoor.Forbidden, "forbidden", "This token belongs to another customer centre.")
	}
	if err != nil {
		p.errors.Render(w, r, err)
		return staff.Token{}, false
	}
	return t, true
}

func (p *Pages) confirmRevokeToken(w http.ResponseWriter, r *http.Request) {
	t, ok := p.siteToken(w, r)
	if !ok {
		return
	}
	if t.RevokedAt != nil {
		p.done(w, r, Path+"/tokens", "The token "+t.Name+" was already revoked.")
		return
	}
	lines := []string{"Anything that uses it stops working at once."}
	if t.Role == frontdoor.RoleDevice {
		lines = append(lines, "A kiosk or lobby screen that uses it will need a new token.")
	}
	p.render(w, r, http.StatusOK, "confirm", "Revoke "+t.Name, Path+"/tokens", nil, confirmData{
		Heading: "Revoke the token " + t.Name + "?", Caption: "Device and API tokens", Lines: lines,
		Warning: "This cannot be undone.",
		Action:  Path + "/tokens/" + strconv.FormatInt(t.ID, 10) + "/revoke", Submit: "Revoke token", Cancel: Path + "/tokens"})
}

func (p *Pages) revokeToken(w http.ResponseWriter, r *http.Request) {
	t, ok := p.siteToken(w, r)
	if !ok {
		return
	}
	if _, err := p.Staff.RevokeToken(r.Context(), t.ID); err != nil {
		p.errors.Render(w, r, err)
		return
	}
	p.done(w, r, Path+"/tokens", "The token "+t.Name+" is revoked: it has stopped working.")
}

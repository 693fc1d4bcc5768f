package admin

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"frontdoor"
	"frontdoor/staff"
)

// Staff accounts: list them, add one, set a new password, disable and
// enable. An admin of one centre sees and adds that centre's staff only.

type userRow struct {
	staff.User
	RoleName, SiteName, Path string
}

type usersData struct {
	Users  []userRow
	Scoped string // the one centre's name, for an admin of one centre
}

// siteNames maps site ids to names, with "" for every centre.
func (p *Pages) siteNames(ctx context.Context) (map[string]string, error) {
	sites, err := p.Booking.Sites(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{"": "All centres"}
	for _, s := range sites {
		names[s.ID] = s.Name
	}
	return names, nil
}

// siteChoices are the centres an account may be limited to: for an admin
// of one centre, that centre only; else every centre, or all of them.
func (p *Pages) siteChoices(ctx context.Context, pr *frontdoor.Principal, all string) ([]choice, error) {
	sites, err := p.Booking.Sites(ctx)
	if err != nil {
		return nil, err
	}
	var out []choice
	if pr.Site == "" && all != "" {
		out = append(out, choice{Value: "", Text: all})
	}
	for _, s := range sites {
		if pr.CanSite(s.ID) {
			out = append(out, choice{Value: s.ID, Text: s.Name})
		}
	}
	return out, nil
}

func (p *Pages) users(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pr := principal(r)
	users, err := p.Staff.Users(ctx)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	names, err := p.siteNames(ctx)
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	d := usersData{}
	if pr.Site != "" {
		d.Scoped = names[pr.Site]
	}
	for _, u := range users {
		if !pr.CanSite(u.Site) {
			continue
		}
		d.Users = append(d.Users, userRow{User: u, RoleName: roleName(u.Role), SiteName: names[u.Site], Path: Path + "/users/" + strconv.FormatInt(u.ID, 10)})
	}
	p.render(w, r, http.StatusOK, "users", "Staff", Path, nil, d)
}

type userFormData struct {
	Name, Password field
	Role, Site     group
	Buttons        buttons
}

var userOrder = []string{"name", "role", "site", "password"}

// roleChoices are the roles a form offers, each with what it can do.
func roleChoices(device bool) []choice {
	var out []choice
	if device {
		out = append(out, choice{Value: frontdoor.RoleDevice, Text: roleName(frontdoor.RoleDevice), Hint: "A kiosk or a lobby screen at one centre"})
	}
	return append(out,
		choice{Value: frontdoor.RoleAdmin, Text: roleName(frontdoor.RoleAdmin), Hint: "Sets up centres, services, desks, staff and tokens, and can use every staff page"},
		choice{Value: frontdoor.RoleManager, Text: roleName(frontdoor.RoleManager), Hint: "Reports and the audit trail, as well as everything reception can do"},
		choice{Value: frontdoor.RoleReception, Text: roleName(frontdoor.RoleReception), Hint: "Reception, desks, kiosks and phone booking"},
		choice{Value: frontdoor.RoleOfficer, Text: roleName(frontdoor.RoleOfficer), Hint: "Desks and phone booking"})
}

func (p *Pages) renderNewUser(w http.ResponseWriter, r *http.Request, status int, f *form) {
	sites, err := p.siteChoices(r.Context(), principal(r), "All centres")
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	d := userFormData{
		Name:     f.text("name", "Name", "They sign in with it: letters, numbers, spaces, dots, apostrophes, @, _ or -", "govuk-input--width-20"),
		Password: f.text("password", "Password", "At least 10 characters. Give it to them in person or by phone, never by email.", "govuk-input--width-20"),
		Role:     f.choices("role", "Role", "", roleChoices(false)),
		Site:     f.choices("site", "Customer centre", "Staff limited to one centre see and change that centre only", sites),
		Buttons:  buttons{Submit: "Add staff member", Cancel: Path + "/users"}}
	d.Name.Autocomplete, d.Password.Autocomplete, d.Password.Type = "off", "new-password", "password"
	p.render(w, r, status, "user_form", "Add a staff member", Path+"/users", f, d)
}

func (p *Pages) newUser(w http.ResponseWriter, r *http.Request) {
	f := newForm(nil)
	f.values.Set("site", principal(r).Site)
	p.renderNewUser(w, r, http.StatusOK, f)
}

// ownSite refuses an admin of one centre an account for another (or for every) centre.
func ownSite(f *form, pr *frontdoor.Principal, site string) {
	if !pr.CanSite(site) {
		f.fail("site", "You can only add accounts for your own centre")
	}
}

func (p *Pages) createUser(w http.ResponseWriter, r *http.Request) {
	if !p.readForm(w, r) {
		return
	}
	f := newForm(r.PostForm, userOrder...)
	pr := principal(r)
	ownSite(f, pr, f.get("site"))
	if f.get("role") == "" {
		f.fail("role", "Choose a role")
	}
	if f.failed() {
		f.values.Del("password") // never sent back to the browser
		p.renderNewUser(w, r, http.StatusBadRequest, f)
		return
	}
	u, err := p.Staff.CreateUser(r.Context(), f.get("name"), f.get("role"), f.get("site"), f.values.Get("password"))
	if err != nil {
		f.values.Del("password")
		p.refused(w, r, err, f, nil, "name", func(status int) { p.renderNewUser(w, r, status, f) })
		return
	}
	p.done(w, r, Path+"/users/"+strconv.FormatInt(u.ID, 10), u.Name+" added as "+roleName(u.Role)+". Give them their name and password.")
}

type userData struct {
	User                      userRow
	Created, Disabled         string
	Self                      bool
	Password                  field
	PasswordAction, Disable   string
	EnableAction, BackToUsers string
}

// siteUser reads the user in the address, if this admin may see them.
func (p *Pages) siteUser(w http.ResponseWriter, r *http.Request) (staff.User, bool) {
	id, ok := p.idParam(w, r, "staff member")
	if !ok {
		return staff.User{}, false
	}
	u, err := p.Staff.User(r.Context(), id)
	if err == nil && !principal(r).CanSite(u.Site) {
		err = frontdoor.Errorf(frontdoor.Forbidden, "forbidden", "This account belongs to another customer centre.")
	}
	if err != nil {
		p.errors.Render(w, r, err)
		return staff.User{}, false
	}
	return u, true
}

func (p *Pages) renderUser(w http.ResponseWriter, r *http.Request, status int, u staff.User, f *form) {
	names, err := p.siteNames(r.Context())
	if err != nil {
		p.errors.Render(w, r, err)
		return
	}
	base := Path + "/users/" + strconv.FormatInt(u.ID, 10)
	pr := principal(r)
	d := userData{User: userRow{User: u, RoleName: roleName(u.Role), SiteName: names[u.Site], Path: base},
		Created: longDate(u.CreatedAt), Self: pr.ID == u.ID,
		Password:       f.text("password", "New password", "At least 10 characters. They will be signed out everywhere and must sign in with it.", "govuk-input--width-20"),
		PasswordAction: base + "/password", Disable: base + "/disable", EnableAction: base + "/enable", BackToUsers: Path + "/users"}
	d.Password.Type, d.Password.Autocomplete = "password", "new-password"
	if u.DisabledAt != nil {
		d.Disabled = longDate(*u.DisabledAt)
	}
	p.render(w, r, status, "user", u.Name, Path+"/users", f, d)
}

// longDate is a date as the pages write it, in UK time.
func longDate(t time.Time) string {
	if loc, err := time.LoadLocation("Europe/London"); err == nil {
		t = t.In(loc)
	}
	return t.Format("2 January 2006")
}

func (p *Pages) user(w http.ResponseWriter, r *http.Request) {
	if u, ok := p.siteUser(w, r); ok {
		p.renderUser(w, r, http.StatusOK, u, newForm(nil))
	}
}

func (p *Pages) setPassword(w http.ResponseWriter, r *http.Request) {
	u, ok := p.siteUser(w, r)
	if !ok || !p.readForm(w, r) {
		return
	}
	f := newForm(r.PostForm, "password")
	password := f.values.Get("password")
	f.values.Del("password")
	if _, err := p.Staff.SetPassword(r.Context(), u.ID, password); err != nil {
		p.refused(w, r, err, f, nil, "password", func(status int) { p.renderUser(w, r, status, u, f) })
		return
	}
	if p.Unlock != nil {
		p.Unlock(u.Name)
	}
	if principal(r).ID == u.ID { // their own sessions, this one too, have ended
		http.Redirect(w, r, "/sign-in?next="+Path, http.StatusSeeOther)
		return
	}
	p.done(w, r, Path+"/users/"+strconv.FormatInt(u.ID, 10), "New password set for "+u.Name+". They have been signed out and must sign in with it.")
}

func (p *Pages) confirmDisableUser(w http.ResponseWriter, r *http.Request) {
	u, ok := p.siteUser(w, r)
	if !ok {
		return
	}
	p.disablePage(w, r, http.StatusOK, u, nil)
}

func (p *Pages) disablePage(w http.ResponseWriter, r *http.Request, status int, u staff.User, f *form) {
	base := Path + "/users/" + strconv.FormatInt(u.ID, 10)
	p.render(w, r, status, "confirm", "Disable "+u.Name, base, f, confirmData{
		Heading: "Disable " + u.Name + "’s account?", Caption: "Staff",
		Lines:  []string{"They will be signed out at once and cannot sign in until an admin enables the account again.", "What they did stays in the audit trail under their name."},
		Action: base + "/disable", Submit: "Disable account", Cancel: base})
}

func (p *Pages) disableUser(w http.ResponseWriter, r *http.Request) {
	u, ok := p.siteUser(w, r)
	if !ok {
		return
	}
	if _, err := p.Staff.DisableUser(r.Context(), u.ID); err != nil {
		f := newForm(nil)
		p.refused(w, r, err, f, nil, "confirm", func(status int) { p.disablePage(w, r, status, u, f) })
		return
	}
	p.done(w, r, Path+"/users", u.Name+"’s account is disabled and they have been signed out.")
}

func (p *Pages) enableUser(w http.ResponseWriter, r *http.Request) {
	u, ok := p.siteUser(w, r)
	if !ok {
		return
	}
	if _, err := p.Staff.EnableUser(r.Context(), u.ID); err != nil {
		p.errors.Render(w, r, err)
		return
	}
	p.done(w, r, Path+"/users/"+strconv.FormatInt(u.ID, 10), u.Name+"’s account is enabled: they can sign in with their password.")
}

// Package staff owns staff users, their sign-in sessions and the bearer
// tokens that integrations and devices (kiosks, lobby screens) use. It turns a
// request's credentials into a frontdoor.Principal; the parts check roles.
package staff

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"frontdoor"
	"frontdoor/audit"
)

// SessionLength is how long a staff sign-in lasts: a working day and a bit.
// Sessions run on real time, not the (possibly fake) domain clock, so moving
// a test clock forward does not sign everyone out.
const SessionLength = 12 * time.Hour

// CookieName is the staff session cookie.
const CookieName = "frontdoor_session"

// Store reads and writes staff users, sessions and tokens.
type Store struct {
	DB    *frontdoor.DB
	Clock frontdoor.Clock
	// Now is the real clock for session expiry (see SessionLength).
	Now func() time.Time
}

// NewStore returns a Store.
func NewStore(db *frontdoor.DB, clock frontdoor.Clock) *Store {
	return &Store{DB: db, Clock: clock, Now: time.Now}
}

// User is a staff member who signs in to the pages.
type User struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Site      string    `json:"site,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// DisabledAt is when the user was disabled; only Users lists those.
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
}

// Token describes a bearer token (never the token itself, which is shown once).
type Token struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	Site      string     `json:"site,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

var nameRE = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N} .'@_-]{0,79}$`)

func checkRoleSite(ctx context.Context, q queryer, role, site string, allowed []string, fields map[string]string) {
	if !slices.Contains(allowed, role) {
		fields["role"] = "Choose a role: " + strings.Join(allowed, ", ")
	}
	if role == frontdoor.RoleDevice && site == "" {
		fields["site"] = "A device token must be limited to one site: give its site id"
	}
	if site != "" {
		var one int
		if err := q.QueryRowContext(ctx, `SELECT 1 FROM sites WHERE id = ?`, site).Scan(&one); err != nil {
			fields["site"] = fmt.Sprintf("There is no site with id %q", site)
		}
	}
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// checkPassword says what is wrong with a new password, or "". bcrypt
// reads at most 72 bytes, so a longer one would not be what it seems.
func checkPassword(password string) string {
	if len(password) < 10 {
		return "Enter a password of at least 10 characters"
	} else if len(password) > 72 {
		return "Enter a password of at most 72 characters"
	}
	return ""
}

// CreateUser adds a staff user with a bcrypt-hashed password.
func (s *Store) CreateUser(ctx context.Context, name, role, site, password string) (User, error) {
	name = strings.TrimSpace(name)
	fields := map[string]string{}
	if !nameRE.MatchString(name) {
		fields["name"] = "Enter a name of 1 to 80 letters, numbers, spaces, dots, apostrophes, @, _ or -"
	}
	if msg := checkPassword(password); msg != "" {
		fields["password"] = msg
	}
	checkRoleSite(ctx, s.DB.Read, role, site, frontdoor.StaffRoles, fields)
	if len(fields) > 0 {
		return User{}, frontdoor.FieldErrors(fields)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return User{}, fmt.Errorf("hash password: %w", err)
	}
	u := User{Name: name, Role: role, Site: site, CreatedAt: s.Clock.Now().UTC()}
	err = s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		var exists int
		if tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE name = ?`, name).Scan(&exists) == nil {
			return &frontdoor.Error{Kind: frontdoor.Conflict, Code: "duplicate", Message: fmt.Sprintf("A staff user called %q already exists.", name),
				Fields: map[string]string{"name": "This name is already taken"}}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO users(name, role, site_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
			name, role, nullable(site), string(hash), frontdoor.Millis(u.CreatedAt))
		if err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		if u.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.Clock.Now(), audit.Entry{Actor: audit.Actor(ctx, "cli"), Action: "user.created", Site: site,
			Subject: "user:" + strconv.FormatInt(u.ID, 10), Detail: map[string]any{"role": role}})
	})
	return u, err
}

// ListUsers returns every staff user.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, name, role, COALESCE(site_id, ''), created_at FROM users
		WHERE disabled_at IS NULL ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	users := []User{}
	for rows.Next() {
		var u User
		var created int64
		if err := rows.Scan(&u.ID, &u.Name, &u.Role, &u.Site, &created); err != nil {
			return nil, err
		}
		u.CreatedAt = frontdoor.FromMillis(created)
		users = append(users, u)
	}
	return users, rows.Err()
}

// CreateToken makes a bearer token and returns it; only its hash is stored,
// so this is the one time it can be seen.
func (s *Store) CreateToken(ctx context.Context, role, name, site string) (string, Token, error) {
	name = strings.TrimSpace(name)
	fields := map[string]string{}
	if !nameRE.MatchString(name) {
		fields["name"] = "Enter a name of 1 to 80 letters, numbers, spaces, dots, apostrophes, @, _ or -"
	}
	checkRoleSite(ctx, s.DB.Read, role, site, append(slices.Clone(frontdoor.StaffRoles), frontdoor.RoleDevice), fields)
	if len(fields) > 0 {
		return "", Token{}, frontdoor.FieldErrors(fields)
	}
	secret := "fd_" + randomString(32)
	t := Token{Name: name, Role: role, Site: site, CreatedAt: s.Clock.Now().UTC()}
	err := s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO tokens(hash, name, role, site_id, created_at) VALUES (?, ?, ?, ?, ?)`,
			hashSecret(secret), name, role, nullable(site), frontdoor.Millis(t.CreatedAt))
		if err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		if t.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.Clock.Now(), audit.Entry{Actor: audit.Actor(ctx, "cli"), Action: "token.created", Site: site,
			Subject: "token:" + strconv.FormatInt(t.ID, 10), Detail: map[string]any{"role": role}})
	})
	return secret, t, err
}

// RevokeToken stops a token working at once.
func (s *Store) RevokeToken(ctx context.Context, id int64) (Token, error) {
	var t Token
	err := s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,
			frontdoor.Millis(s.Clock.Now()), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			if tx.QueryRowContext(ctx, `SELECT 1 FROM tokens WHERE id = ?`, id).Scan(&one) != nil {
				return frontdoor.Errorf(frontdoor.NotFound, "not_found", "There is no token %d.", id)
			}
		}
		if t, err = scanToken(tx.QueryRowContext(ctx, tokenSelect+` WHERE id = ?`, id)); err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // already revoked: nothing done, nothing to record
		}
		return audit.Record(ctx, tx, s.Clock.Now(), audit.Entry{Actor: audit.Actor(ctx, "cli"), Action: "token.revoked", Site: t.Site,
			Subject: "token:" + strconv.FormatInt(t.ID, 10)})
	})
	return t, err
}

const tokenSelect = `SELECT id, name, role, COALESCE(site_id, ''), created_at, revoked_at FROM tokens`

func scanToken(row interface{ Scan(...any) error }) (Token, error) {
	var t Token
	var created int64
	var revoked sql.NullInt64
	if err := row.Scan(&t.ID, &t.Name, &t.Role, &t.Site, &created, &revoked); err != nil {
		return t, err
	}
	t.CreatedAt = frontdoor.FromMillis(created)
	if revoked.Valid {
		r := frontdoor.FromMillis(revoked.Int64)
		t.RevokedAt = &r
	}
	return t, nil
}

// ListTokens returns every token's description, newest first.
func (s *Store) ListTokens(ctx context.Context) ([]Token, error) {
	rows, err := s.DB.Read.QueryContext(ctx, tokenSelect+` ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	ts := []Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

// dummyHash is compared against when the name is unknown, so that a wrong
// name takes as long as a wrong password and does not reveal who exists.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a real password"), bcrypt.DefaultCost)

// SignIn checks a name and password and starts a session, returning the
// cookie value.
func (s *Store) SignIn(ctx context.Context, name, password string) (string, error) {
	var id int64
	var hash string
	err := s.DB.Read.QueryRowContext(ctx, `SELECT id, password_hash FROM users WHERE name = ? AND disabled_at IS NULL`,
		strings.TrimSpace(name)).Scan(&id, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return "", errBadSignIn
	}
	if err != nil {
		return "", fmt.Errorf("sign in: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return "", errBadSignIn
	}
	secret := randomString(32)
	now := s.Now()
	err = s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?`, frontdoor.Millis(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions(hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			hashSecret(secret), id, frontdoor.Millis(now), frontdoor.Millis(now.Add(SessionLength)))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("start session: %w", err)
	}
	return secret, nil
}

var errBadSignIn = &frontdoor.Error{Kind: frontdoor.Unauthorized, Code: "bad_sign_in",
	Message: "The name or password is not right", Fields: map[string]string{"name": "Enter a correct name and password"}}

// SignOut ends the session with this cookie value.
func (s *Store) SignOut(ctx context.Context, secret string) error {
	return s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, hashSecret(secret))
		return err
	})
}

// Authenticate implements web.Authenticator: a bearer token, else a session cookie.
func (s *Store) Authenticate(r *http.Request) (*frontdoor.Principal, error) {
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || !strings.HasPrefix(secret, "fd_") {
			return nil, nil // perhaps a booking's manage token; its handler checks it
		}
		return s.tokenPrincipal(ctx, secret)
	}
	if secret := r.URL.Query().Get("token"); strings.HasPrefix(secret, "fd_") && tokenInURLAllowed(r.URL.Path) {
		// Lobby screens are browsers in kiosk mode: the contract lets them put
		// their device token in the URL of the screen and its event stream only.
		return s.tokenPrincipal(ctx, secret)
	}
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
		p := &frontdoor.Principal{Kind: "user"}
		err := s.DB.Read.QueryRowContext(ctx, `SELECT u.id, u.name, u.role, COALESCE(u.site_id, '') FROM sessions s
			JOIN users u ON u.id = s.user_id WHERE s.hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL`,
			hashSecret(c.Value), frontdoor.Millis(s.Now())).Scan(&p.ID, &p.Name, &p.Role, &p.Site)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read session: %w", err)
		}
		return p, nil
	}
	return nil, nil
}

func (s *Store) tokenPrincipal(ctx context.Context, secret string) (*frontdoor.Principal, error) {
	p := &frontdoor.Principal{Kind: "token"}
	err := s.DB.Read.QueryRowContext(ctx, `SELECT id, name, role, COALESCE(site_id, '') FROM tokens
		WHERE hash = ? AND revoked_at IS NULL`, hashSecret(secret)).Scan(&p.ID, &p.Name, &p.Role, &p.Site)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read token: %w", err)
	}
	return p, nil
}

func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// randomString is n random bytes in lower-case base32, without padding.
func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// tokenInURLAllowed is true for the lobby screen and its event stream, the
// only places the contract lets a token travel in the URL.
func tokenInURLAllowed(path string) bool {
	return strings.HasPrefix(path, "/sites/") && strings.HasSuffix(path, "/display") ||
		strings.HasPrefix(path, "/api/v1/sites/") && strings.HasSuffix(path, "/events")
}

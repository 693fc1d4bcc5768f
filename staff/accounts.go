package staff

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/crypto/bcrypt"

	"frontdoor"
	"frontdoor/audit"
)

// What the admin pages do to accounts after they are made: list them all,
// disable and enable a user, set a new password, and read one token. Each
// change ends the user's sessions where it must and writes its audit row in
// the same transaction.

const userSelect = `SELECT id, name, role, COALESCE(site_id, ''), created_at, disabled_at FROM users`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var created int64
	var disabled sql.NullInt64
	if err := row.Scan(&u.ID, &u.Name, &u.Role, &u.Site, &created, &disabled); err != nil {
		return User{}, err
	}
	u.CreatedAt = frontdoor.FromMillis(created)
	if disabled.Valid {
		d := frontdoor.FromMillis(disabled.Int64)
		u.DisabledAt = &d
	}
	return u, nil
}

// Users returns every staff user, disabled ones too, by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.DB.Read.QueryContext(ctx, userSelect+` ORDER BY disabled_at IS NOT NULL, name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	users := []User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, rows.Err()
}

func userNotFound(id int64) error {
	return frontdoor.Errorf(frontdoor.NotFound, "not_found", "There is no staff user %d.", id)
}

// User returns one staff user, or NotFound.
func (s *Store) User(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.DB.Read.QueryRowContext(ctx, userSelect+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, userNotFound(id)
	}
	if err != nil {
		return User{}, fmt.Errorf("read user %d: %w", id, err)
	}
	return u, nil
}

// changeUser runs change on user id in one transaction and records action;
// change returns false when there was nothing to do (nothing is recorded).
func (s *Store) changeUser(ctx context.Context, id int64, action string, change func(tx *sql.Tx, u User) (bool, error)) (User, error) {
	var u User
	err := s.DB.WithTx(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, userSelect+` WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return userNotFound(id)
		} else if err != nil {
			return err
		}
		did, err := change(tx, u)
		if err != nil || !did {
			return err
		}
		if u, err = scanUser(tx.QueryRowContext(ctx, userSelect+` WHERE id = ?`, id)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.Clock.Now(), audit.Entry{Actor: audit.Actor(ctx, "cli"), Action: action, Site: u.Site,
			Subject: "user:" + strconv.FormatInt(id, 10)})
	})
	return u, err
}

// endSessions signs user id out everywhere.
func endSessions(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id)
	return err
}

// DisableUser stops a user signing in and ends their sessions at once. The
// row stays, so the audit trail still names them.
func (s *Store) DisableUser(ctx context.Context, id int64) (User, error) {
	if p := frontdoor.PrincipalFrom(ctx); p != nil && p.Kind == "user" && p.ID == id {
		return User{}, frontdoor.Errorf(frontdoor.Conflict, "own_account", "You cannot disable your own account: ask another admin.")
	}
	return s.changeUser(ctx, id, "user.disabled", func(tx *sql.Tx, u User) (bool, error) {
		if u.DisabledAt != nil {
			return false, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = ? WHERE id = ?`, frontdoor.Millis(s.Clock.Now()), id); err != nil {
			return false, err
		}
		return true, endSessions(ctx, tx, id)
	})
}

// EnableUser lets a disabled user sign in again (with their old password).
func (s *Store) EnableUser(ctx context.Context, id int64) (User, error) {
	return s.changeUser(ctx, id, "user.enabled", func(tx *sql.Tx, u User) (bool, error) {
		if u.DisabledAt == nil {
			return false, nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = NULL WHERE id = ?`, id)
		return err == nil, err
	})
}

// SetPassword gives a user a new password (the rules are CreateUser's) and
// ends their sessions, so that whoever knew the old one is signed out too.
func (s *Store) SetPassword(ctx context.Context, id int64, password string) (User, error) {
	if msg := checkPassword(password); msg != "" {
		return User{}, frontdoor.FieldErrors(map[string]string{"password": msg})
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return User{}, fmt.Errorf("hash password: %w", err)
	}
	return s.changeUser(ctx, id, "user.password_set", func(tx *sql.Tx, u User) (bool, error) {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, string(hash), id); err != nil {
			return false, err
		}
		return true, endSessions(ctx, tx, id)
	})
}

// Token returns one token's description, or NotFound.
func (s *Store) Token(ctx context.Context, id int64) (Token, error) {
	t, err := scanToken(s.DB.Read.QueryRowContext(ctx, tokenSelect+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, frontdoor.Errorf(frontdoor.NotFound, "not_found", "There is no token %d.", id)
	}
	if err != nil {
		return Token{}, fmt.Errorf("read token %d: %w", id, err)
	}
	return t, nil
}

// TokenSecretIs reports whether secret is token id's (the page that shows a
// new token once checks what it was handed before showing it).
func (s *Store) TokenSecretIs(ctx context.Context, id int64, secret string) (bool, error) {
	var hash []byte
	err := s.DB.Read.QueryRowContext(ctx, `SELECT hash FROM tokens WHERE id = ?`, id).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read token %d: %w", id, err)
	}
	return subtle.ConstantTimeCompare(hash, hashSecret(secret)) == 1, nil
}

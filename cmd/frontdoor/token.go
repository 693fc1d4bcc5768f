package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"

	"frontdoor"
	"frontdoor/staff"
)

func tokenCreateCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("token create", "Prints one new bearer token on stdout and nothing else.\nOnly its hash is stored: keep it safe, it is shown once.", stderr)
	role := fs.String("role", "", "admin, manager, reception, officer or device (required)")
	name := fs.String("name", "", "what the token is for, e.g. \"CRM integration\" or \"kiosk 1\" (required)")
	site := fs.String("site", "", "limit the token to one site (required for device)")
	dbPath := fs.String("db", defaultDB, "SQLite database file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, err := frontdoor.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	secret, _, err := staff.NewStore(db, frontdoor.SystemClock{}).CreateToken(ctx, *role, *name, *site)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintln(stdout, secret)
	return nil
}

func tokenRevokeCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("token revoke", "Stops a token working at once. Token ids are listed by GET /api/v1/tokens.", stderr)
	id := fs.Int64("id", 0, "the token's id (required)")
	dbPath := fs.String("db", defaultDB, "SQLite database file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, err := frontdoor.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := staff.NewStore(db, frontdoor.SystemClock{}).RevokeToken(ctx, *id)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "revoked token %d (%s)\n", t.ID, t.Name)
	return nil
}

func userCreateCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("user create", "Adds a staff user and prints a generated password once.", stderr)
	role := fs.String("role", "", "admin, manager, reception or officer (required)")
	name := fs.String("name", "", "the name they sign in with (required)")
	site := fs.String("site", "", "limit the user to one site")
	dbPath := fs.String("db", defaultDB, "SQLite database file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, err := frontdoor.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	password := newPassword()
	if _, err := staff.NewStore(db, frontdoor.SystemClock{}).CreateUser(ctx, *name, *role, *site, password); err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "name: %s\npassword: %s\n", *name, password)
	return nil
}

// newPassword is 16 characters from an alphabet without look-alikes.
func newPassword() string {
	return rand.Text()[:16]
}

// describe turns a field error into one line for the terminal.
func describe(err error) error {
	e := frontdoor.AsError(err)
	if len(e.Fields) == 0 {
		return err
	}
	msg := e.Message
	for f, m := range e.Fields {
		msg += fmt.Sprintf("\n  --%s: %s", f, m)
	}
	return fmt.Errorf("%s", msg)
}

// Command frontdoor runs Frontdoor: appointment booking and the visitor
// queue for a council customer centre, in one binary on one SQLite file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `frontdoor: appointment booking and visitor queue for council customer centres

Usage:
  frontdoor serve [flags]          run the web service (see frontdoor serve --help)
  frontdoor token create [flags]   print a new bearer token for staff or a device
  frontdoor token revoke --id N    stop a token working
  frontdoor user create [flags]    add a staff user who signs in to the pages
  frontdoor simulate --scenario F  play a day through the queue rules (--policy, --compare)
  frontdoor backup --to FILE       write a consistent copy of the database, safe while serving
  frontdoor restore --from FILE    put a backup in place of the database (service stopped)
  frontdoor bench [flags]          measure the service's speed beside its ceilings, on loopback

Every flag can also be set in the environment as FRONTDOOR_<NAME>,
for example FRONTDOOR_DB=/var/lib/frontdoor/frontdoor.db.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0) // asked for help and given it, as the flag package's own -help does
		}
		fmt.Fprintln(os.Stderr, "frontdoor:", err)
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("say which command to run")
	}
	switch cmd, rest := args[0], args[1:]; {
	case cmd == "serve":
		return serveCommand(ctx, rest, stdout, stderr)
	case cmd == "token" && len(rest) > 0 && rest[0] == "create":
		return tokenCreateCommand(ctx, rest[1:], stdout, stderr)
	case cmd == "token" && len(rest) > 0 && rest[0] == "revoke":
		return tokenRevokeCommand(ctx, rest[1:], stdout, stderr)
	case cmd == "user" && len(rest) > 0 && rest[0] == "create":
		return userCreateCommand(ctx, rest[1:], stdout, stderr)
	case cmd == "simulate":
		return simulateCommand(ctx, rest, stdout, stderr)
	case cmd == "backup":
		return backupCommand(ctx, rest, stdout, stderr)
	case cmd == "restore":
		return restoreCommand(ctx, rest, stdout, stderr)
	case cmd == "bench":
		return benchCommand(ctx, rest, stdout, stderr)
	case cmd == "help" || cmd == "-h" || cmd == "--help" || cmd == "-help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", strings.Join(args, " "))
	}
}

// newFlags makes a FlagSet whose flags also read FRONTDOOR_<NAME> from the
// environment; a flag on the command line wins over the environment.
func newFlags(name, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: frontdoor %s [flags]\n\n%s\n\nFlags (each also read from FRONTDOOR_<NAME>):\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags applies the environment, then the command line. serve reads
// every flag's FRONTDOOR_<NAME> twin; the one-off commands read only
// FRONTDOOR_DB, so that a stray FRONTDOOR_NAME or FRONTDOOR_ROLE in the
// environment never quietly fills in a token or a user.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if fs.Name() != "serve" && f.Name != "db" {
			return
		}
		env := "FRONTDOOR_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok && err == nil {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", env, v, e)
			}
		}
	})
	if err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

const defaultDB = "./frontdoor-data/frontdoor.db"

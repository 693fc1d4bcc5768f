package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"frontdoor"
	"frontdoor/web"
)

// rateLimits are the per-client limits (--rate-limit a minute each) on what
// anyone can do without signing in, counted apart so that a busy kiosk's
// check-ins never use up a resident's booking budget on the same network.
type rateLimits struct {
	booking, checkin, signIn *web.RateLimiter
}

func newRateLimits(perMinute int) rateLimits {
	return rateLimits{web.NewRateLimiter(perMinute), web.NewRateLimiter(perMinute), web.NewRateLimiter(perMinute)}
}

// limiterFor picks the limit a request counts against, or nil. Staff are
// exempt from the booking and check-in limits (phone lines and reception
// book and check in all day from one address); devices such as kiosks are not.
func (l rateLimits) limiterFor(r *http.Request) *web.RateLimiter {
	if r.Method != http.MethodPost {
		return nil
	}
	path := r.URL.Path
	if path == "/sign-in" {
		return l.signIn
	}
	if frontdoor.PrincipalFrom(r.Context()).Can(frontdoor.RoleManager, frontdoor.RoleReception, frontdoor.RoleOfficer) {
		return nil
	}
	switch {
	case path == "/api/v1/checkins" || (web.KioskPath(path) && strings.HasSuffix(path, "/kiosk/checkin")):
		return l.checkin
	case path == "/api/v1/bookings" || strings.HasPrefix(path, "/api/v1/bookings/") ||
		strings.HasPrefix(path, "/book/") || strings.HasPrefix(path, "/manage/"):
		return l.booking
	}
	return nil
}

// middleware answers 429 with Retry-After once a client is over its limit:
// a JSON error on the API, a page for people.
func (l rateLimits) middleware(pages *web.ErrorPages) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if lim := l.limiterFor(r); lim != nil {
				if ok, wait := lim.Allow(web.ClientIP(r)); !ok {
					secs := web.RetryAfter(wait)
					w.Header().Set("Retry-After", strconv.Itoa(secs))
					err := frontdoor.Errorf(frontdoor.RateLimited, "rate_limited",
						"There have been too many requests from your connection. Wait %s and try again.", seconds(secs))
					if isAPI(r) {
						web.WriteError(w, r, err)
					} else {
						pages.Render(w, r, err)
					}
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

func seconds(n int) string {
	if n == 1 {
		return "1 second"
	}
	return fmt.Sprintf("%d seconds", n)
}

// parseProxies reads --trusted-proxy: comma-separated CIDRs or addresses.
func parseProxies(s string) ([]*net.IPNet, error) {
	var nets []*net.IPNet
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			if ip := net.ParseIP(part); ip != nil && ip.To4() != nil {
				part += "/32"
			} else {
				part += "/128"
			}
		}
		_, n, err := net.ParseCIDR(part)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxy %q: give CIDRs such as 10.0.0.0/8 or addresses, separated by commas", part)
		}
		nets = append(nets, n)
	}
	return nets, nil
}

// rateLimitDefaults applies --rate-limit's and --max-streams' one special
// default: off under --fake-clock (tests and training drive the service
// hard from one address) unless the flag, or its FRONTDOOR_ twin, was given.
func rateLimitDefaults(fs *flag.FlagSet, cfg *config, proxies string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if cfg.FakeClock && !given["rate-limit"] {
		cfg.RateLimit = 0
	}
	if cfg.FakeClock && !given["max-streams"] {
		cfg.MaxStreams = 0
	}
	if cfg.RateLimit < 0 {
		return fmt.Errorf("--rate-limit %d: give requests a minute, or 0 for no limit", cfg.RateLimit)
	}
	if cfg.MaxStreams < 0 {
		return fmt.Errorf("--max-streams %d: give a number of streams, or 0 for no limit", cfg.MaxStreams)
	}
	if cfg.MaxBookingsPerPhone < 0 {
		return fmt.Errorf("--max-bookings-per-phone %d: give a number, or 0 for no limit", cfg.MaxBookingsPerPhone)
	}
	var err error
	cfg.TrustedProxies, err = parseProxies(proxies)
	return err
}

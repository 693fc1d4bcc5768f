package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// TwilioConfig is how Frontdoor reaches Twilio; it comes from the
// environment (API.md, "SMS settings").
type TwilioConfig struct {
	AccountSID string // TWILIO_ACCOUNT_SID
	AuthToken  string // TWILIO_AUTH_TOKEN: authenticates API calls and signs webhooks
	From       string // FRONTDOOR_SMS_FROM: a number, an alphanumeric sender id, or a Messaging Service SID (MG...)
	APIURL     string // FRONTDOOR_TWILIO_API_URL: another base URL for Twilio's API (a fake Twilio in tests)
}

// TwilioConfigFromEnv reads the settings with getenv (os.Getenv).
func TwilioConfigFromEnv(getenv func(string) string) TwilioConfig {
	return TwilioConfig{
		AccountSID: strings.TrimSpace(getenv("TWILIO_ACCOUNT_SID")),
		AuthToken:  strings.TrimSpace(getenv("TWILIO_AUTH_TOKEN")),
		From:       strings.TrimSpace(getenv("FRONTDOOR_SMS_FROM")),
		APIURL:     strings.TrimSpace(getenv("FRONTDOOR_TWILIO_API_URL")),
	}
}

// Configured reports whether texts can be sent: the credentials and a sender.
func (c TwilioConfig) Configured() bool {
	return c.AccountSID != "" && c.AuthToken != "" && c.From != ""
}

// Twilio sends texts through Twilio's Messages API with the twilio-go client.
type Twilio struct {
	cfg  TwilioConfig
	base *url.URL // nil: Twilio's own API
	// transport carries every call; the client's own has no base-URL
	// option, so each call's transport rewrites the scheme and host.
	transport http.RoundTripper
}

// NewTwilio checks cfg and returns a sender for it.
func NewTwilio(cfg TwilioConfig) (*Twilio, error) {
	if !cfg.Configured() {
		return nil, errors.New("twilio: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and FRONTDOOR_SMS_FROM are all needed")
	}
	t := &Twilio{cfg: cfg, transport: http.DefaultTransport}
	if cfg.APIURL != "" {
		u, err := url.Parse(cfg.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("FRONTDOOR_TWILIO_API_URL %q: give an absolute http or https URL", cfg.APIURL)
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		t.base = u
	}
	return t, nil
}

// callTransport is one call's transport: it points the request at the
// configured base URL, makes it end with the call's context (twilio-go
// takes none) and notes the HTTP status, which twilio-go loses when an
// error answer is not Twilio's JSON.
type callTransport struct {
	ctx    context.Context
	base   *url.URL
	next   http.RoundTripper
	status int
}

func (t *callTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(t.ctx)
	if t.base != nil {
		r.URL.Scheme, r.URL.Host = t.base.Scheme, t.base.Host
		r.URL.Path = t.base.Path + r.URL.Path
		r.URL.RawPath = ""
		r.Host = t.base.Host
	}
	resp, err := t.next.RoundTrip(r)
	if resp != nil {
		t.status = resp.StatusCode
	}
	return resp, err
}

// api is the Messages API for one call.
func (t *Twilio) api(ctx context.Context) (*openapi.ApiService, *callTransport) {
	ct := &callTransport{ctx: ctx, base: t.base, next: t.transport}
	c := &client.Client{
		Credentials: client.NewCredentials(t.cfg.AccountSID, t.cfg.AuthToken),
		HTTPClient: &http.Client{Transport: ct,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
	c.SetAccountSid(t.cfg.AccountSID)
	return openapi.NewApiServiceWithClient(c), ct
}

// Send asks Twilio to send body to to. callback, when not "", is the
// status callback URL. An error is a *SendError.
func (t *Twilio) Send(ctx context.Context, to, body, callback string) (Accepted, error) {
	api, ct := t.api(ctx)
	p := &openapi.CreateMessageParams{}
	p.SetTo(to)
	p.SetBody(body)
	if strings.HasPrefix(t.cfg.From, "MG") && len(t.cfg.From) == 34 {
		p.SetMessagingServiceSid(t.cfg.From)
	} else {
		p.SetFrom(t.cfg.From)
	}
	if callback != "" {
		p.SetStatusCallback(callback)
	}
	m, err := api.CreateMessage(p)
	if err != nil {
		return Accepted{}, classify(ctx, err, ct.status)
	}
	if m == nil || m.Sid == nil || *m.Sid == "" {
		// Twilio answered 2xx without a SID: it may well have accepted it.
		return Accepted{}, &SendError{Unsure: true, Reason: "Twilio's answer had no message id"}
	}
	a := Accepted{SID: *m.Sid}
	if m.Status != nil {
		a.Status = *m.Status
	}
	return a, nil
}

// Recent lists the newest messages the account holds to the number to
// (one page: Frontdoor sends a number a handful of texts).
func (t *Twilio) Recent(ctx context.Context, to string) ([]Found, error) {
	api, ct := t.api(ctx)
	p := &openapi.ListMessageParams{}
	p.SetTo(to)
	p.SetPageSize(50)
	page, err := api.PageMessage(p, "", "")
	if err != nil {
		return nil, classify(ctx, err, ct.status)
	}
	var out []Found
	for _, m := range page.Messages {
		f := Found{SID: deref(m.Sid), Body: deref(m.Body), Status: deref(m.Status), To: deref(m.To), Direction: deref(m.Direction)}
		if c, err := time.Parse(time.RFC1123Z, deref(m.DateCreated)); err == nil {
			f.Created = c
		}
		out = append(out, f)
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// SendError is why a call to the provider failed, and what to do next.
type SendError struct {
	Permanent bool   // it will never go: mark it failed, do not retry
	Unsure    bool   // the provider may have accepted it: look it up before sending again
	OptedOut  bool   // the number has opted out at the provider
	Reason    string // plain English, for staff
}

func (e *SendError) Error() string { return e.Reason }

// Twilio error codes that mean the message can never go.
var permanentCodes = map[int]string{
	21211: "not a valid phone number",
	21214: "not a number that can be reached",
	21408: "Twilio may not send to this region",
	21610: "the number has opted out of texts from us (it replied STOP)",
	21612: "Twilio cannot route a text to this number",
	21614: "not a mobile number",
	21606: "FRONTDOOR_SMS_FROM is not a number this account may send from",
	21659: "FRONTDOOR_SMS_FROM is not a number this account may send from",
	21660: "FRONTDOOR_SMS_FROM does not belong to this account",
}

// classify turns what twilio-go returned into a *SendError. status is the
// HTTP status seen, 0 if no answer came.
func classify(ctx context.Context, err error, status int) *SendError {
	var rest *client.TwilioRestError
	var v1 *client.RestErrorV1
	code, msg := 0, ""
	switch {
	case errors.As(err, &rest):
		code, msg = rest.Code, rest.Message
		if rest.Status != 0 {
			status = rest.Status
		}
	case errors.As(err, &v1):
		code, msg = v1.Code, v1.Message
		if v1.HttpStatusCode != 0 {
			status = v1.HttpStatusCode
		}
	}
	switch {
	case code == 21610:
		return &SendError{Permanent: true, OptedOut: true, Reason: fmt.Sprintf("%s (Twilio error %d)", permanentCodes[code], code)}
	case permanentCodes[code] != "":
		return &SendError{Permanent: true, Reason: fmt.Sprintf("%s (Twilio error %d)", permanentCodes[code], code)}
	case status == http.StatusTooManyRequests:
		return &SendError{Reason: "Twilio asked us to slow down (429)"}
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return &SendError{Permanent: true, Reason: fmt.Sprintf("Twilio refused our credentials (%d): check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN", status)}
	case status >= 400 && status < 500:
		if msg == "" {
			msg = http.StatusText(status)
		}
		if code != 0 {
			return &SendError{Permanent: true, Reason: fmt.Sprintf("Twilio refused it: %s (error %d)", msg, code)}
		}
		return &SendError{Permanent: true, Reason: fmt.Sprintf("Twilio refused it: %s (%d)", msg, status)}
	case status >= 500:
		// Twilio failing: it probably did not take the message, but may have.
		return &SendError{Unsure: true, Reason: fmt.Sprintf("Twilio failed (%d)", status)}
	case status >= 200 && status < 300:
		return &SendError{Unsure: true, Reason: "Twilio's answer could not be read"}
	}
	var op *net.OpError
	var dns *net.DNSError
	if errors.As(err, &dns) || (errors.As(err, &op) && op.Op == "dial") {
		return &SendError{Reason: "Twilio could not be reached"} // nothing was sent
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &SendError{Unsure: true, Reason: "Twilio did not answer in time"}
	}
	if ctx.Err() != nil {
		return &SendError{Unsure: true, Reason: "stopped while waiting for Twilio"}
	}
	return &SendError{Unsure: true, Reason: "the connection to Twilio failed"}
}

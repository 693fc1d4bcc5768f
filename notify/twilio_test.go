package notify

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/twilio/twilio-go/client"
)

func TestTwilioErrorsClassified(t *testing.T) {
	ctx := context.Background()
	expired, cancel := context.WithTimeout(ctx, 0)
	defer cancel()
	<-expired.Done()
	for _, c := range []struct {
		name      string
		ctx       context.Context
		err       error
		status    int
		permanent bool
		unsure    bool
		optedOut  bool
	}{
		{"invalid number", ctx, &client.TwilioRestError{Status: 400, Code: 21211, Message: "The 'To' number is not valid"}, 400, true, false, false},
		{"opted out", ctx, &client.TwilioRestError{Status: 400, Code: 21610}, 400, true, false, true},
		{"not a mobile", ctx, &client.TwilioRestError{Status: 400, Code: 21614}, 400, true, false, false},
		{"other 400", ctx, &client.TwilioRestError{Status: 400, Code: 21999, Message: "odd"}, 400, true, false, false},
		{"bad credentials", ctx, &client.TwilioRestError{Status: 401, Code: 20003}, 401, true, false, false},
		{"too many requests", ctx, &client.TwilioRestError{Status: 429, Code: 20429}, 429, false, false, false},
		{"503 from Twilio", ctx, &client.TwilioRestError{Status: 503, Code: 20500}, 503, false, true, false},
		{"502 page from a proxy", ctx, errors.New("error decoding the response for an HTTP error code: 502"), 502, false, true, false},
		{"404 page from a proxy", ctx, errors.New("error decoding the response for an HTTP error code: 404"), 404, true, false, false},
		{"connection refused", ctx, &net.OpError{Op: "dial", Err: errors.New("connection refused")}, 0, false, false, false},
		{"timeout", expired, context.DeadlineExceeded, 0, false, true, false},
		{"reset mid-answer", ctx, &net.OpError{Op: "read", Err: errors.New("connection reset")}, 0, false, true, false},
		{"2xx unreadable", ctx, errors.New("unexpected EOF"), 201, false, true, false},
	} {
		e := classify(c.ctx, c.err, c.status)
		if e.Permanent != c.permanent || e.Unsure != c.unsure || e.OptedOut != c.optedOut || e.Reason == "" {
			t.Errorf("%s: %+v, want permanent %v, unsure %v, opted out %v", c.name, e, c.permanent, c.unsure, c.optedOut)
		}
	}
}

func TestTwilioConfigNeedsAllThree(t *testing.T) {
	env := map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "tok"}
	cfg := TwilioConfigFromEnv(func(k string) string { return env[k] })
	if cfg.Configured() {
		t.Error("configured without FRONTDOOR_SMS_FROM")
	}
	env["FRONTDOOR_SMS_FROM"] = "COUNCIL"
	env["FRONTDOOR_TWILIO_API_URL"] = "not a url"
	cfg = TwilioConfigFromEnv(func(k string) string { return env[k] })
	if _, err := NewTwilio(cfg); err == nil {
		t.Error("accepted a bad FRONTDOOR_TWILIO_API_URL")
	}
}

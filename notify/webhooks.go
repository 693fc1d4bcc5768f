package notify

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"
	"github.com/twilio/twilio-go/client"

	"frontdoor"
	"frontdoor/web"
)

// Handlers are notify's HTTP handlers: Twilio's two webhooks and the SMS
// settings of a site.
type Handlers struct {
	DB        *frontdoor.DB
	Clock     frontdoor.Clock
	AuthToken string        // TWILIO_AUTH_TOKEN, which signs the webhooks; "" refuses them all
	BaseURL   func() string // the public URL (--base-url) Twilio signs against
	Cancel    CancelFunc    // cancels a booking for a CANCEL reply
	// SiteName names a site, or fails NotFound.
	SiteName func(ctx context.Context, site string) (string, error)
	Sender   *Sender // woken when a reply is queued; may be nil
}

// Routes mounts the webhooks and the settings routes.
func (h *Handlers) Routes(r chi.Router) {
	r.Post("/webhooks/twilio/status", h.status)
	r.Post("/webhooks/twilio/sms", h.sms)
	r.Get("/api/v1/sites/{site}/sms-settings", h.getSettings)
	r.Put("/api/v1/sites/{site}/sms-settings", h.putSettings)
}

// maxWebhookBody bounds what a webhook reads: Twilio's largest (an inbound
// text of 1,600 characters with its fields) is a few kilobytes.
const maxWebhookBody = 16 << 10

// verified reads a webhook's form after checking X-Twilio-Signature against
// the public URL: missing is 401, wrong (or unverifiable) is 403.
func (h *Handlers) verified(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	sig := r.Header.Get("X-Twilio-Signature")
	if sig == "" {
		return nil, frontdoor.Errorf(frontdoor.Unauthorized, "signature_missing", "This webhook needs Twilio's X-Twilio-Signature header.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, frontdoor.Errorf(frontdoor.Invalid, "body_too_large", "The request body is too large: the limit is %d KB.", maxWebhookBody>>10)
		}
		return nil, frontdoor.Errorf(frontdoor.Invalid, "bad_body", "The request body could not be read.")
	}
	if h.AuthToken == "" {
		return nil, frontdoor.Errorf(frontdoor.Forbidden, "signature_invalid", "SMS is not configured here, so no Twilio signature can be accepted.")
	}
	v := client.NewRequestValidator(h.AuthToken)
	base := ""
	if h.BaseURL != nil {
		base = h.BaseURL()
	}
	if !v.ValidateBody(base+r.URL.RequestURI(), body, sig) {
		return nil, frontdoor.Errorf(frontdoor.Forbidden, "signature_invalid", "The X-Twilio-Signature is not right for this request.")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, frontdoor.Errorf(frontdoor.Invalid, "bad_form", "The request body is not a form.")
	}
	return form, nil
}

// emptyTwiML answers Twilio: nothing to say (replies go through the outbox,
// where they are retried like any other text).
func emptyTwiML(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Response/>`)
}

// status is Twilio's delivery status callback.
func (h *Handlers) status(w http.ResponseWriter, r *http.Request) {
	form, err := h.verified(w, r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if err := h.handleStatus(r.Context(), form.Get("MessageSid"), form.Get("MessageStatus"), form.Get("ErrorCode")); err != nil {
		web.WriteError(w, r, err)
		return
	}
	emptyTwiML(w)
}

// sms is an inbound text.
func (h *Handlers) sms(w http.ResponseWriter, r *http.Request) {
	form, err := h.verified(w, r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	queued, err := h.handleInbound(r.Context(), Inbound{From: form.Get("From"), Body: form.Get("Body")})
	if err != nil {
		slog.ErrorContext(r.Context(), "inbound sms", "err", err)
		web.WriteError(w, r, err)
		return
	}
	if queued && h.Sender != nil {
		h.Sender.Wake()
	}
	emptyTwiML(w)
}

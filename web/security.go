package web

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
)

// Security sets the response headers every answer carries: a Content
// Security Policy with a fresh nonce per request (pages put it on each
// <script>; see Nonce), no referrer (manage links carry secrets in the
// path), no MIME sniffing, the camera for the kiosk only, and HSTS when the
// service is served over HTTPS. A handler may still tighten a header.
type Security struct {
	HTTPS bool // --base-url is https: add Strict-Transport-Security
	// CameraPath reports whether a path's page may use the camera (the
	// kiosk scans QR codes with it); every other page gets camera=().
	CameraPath func(path string) bool
}

// CSP is the policy for a request whose nonce is nonce.
func CSP(nonce string) string {
	return "default-src 'self'; script-src 'self' 'nonce-" + nonce + "'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
}

// Middleware sets the headers and puts the nonce in the request's context.
func (s Security) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nonce := newNonce()
		h := w.Header()
		h.Set("Content-Security-Policy", CSP(nonce))
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		camera := "()"
		if s.CameraPath != nil && s.CameraPath(r.URL.Path) {
			camera = "(self)"
		}
		h.Set("Permissions-Policy", "camera="+camera+", microphone=(), geolocation=(), payment=(), usb=()")
		if s.HTTPS {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r.WithContext(WithNonce(r.Context(), nonce)))
	})
}

// KioskPath is the kiosk pages' paths (/sites/{site}/kiosk and under).
func KioskPath(path string) bool {
	rest, ok := strings.CutPrefix(path, "/sites/")
	if !ok {
		return false
	}
	_, rest, ok = strings.Cut(rest, "/")
	return ok && (rest == "kiosk" || strings.HasPrefix(rest, "kiosk/"))
}

func newNonce() string {
	b := make([]byte, 18)
	rand.Read(b) // never fails (crypto/rand panics rather than return short)
	return base64.RawURLEncoding.EncodeToString(b)
}

package booking

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"strings"
)

// refAlphabet has no 0/O, 1/I/L or U (no look-alikes, and fewer rude words).
const refAlphabet = "ABCDEFGHJKMNPQRSTVWXYZ23456789"

// RefLength is a reference's length: 30^6 ≈ 729 million references.
const RefLength = 6

// newReference is a random reference; the caller checks it is unused.
func newReference() string {
	b := make([]byte, RefLength)
	for i := range b {
		b[i] = refAlphabet[randIntn(len(refAlphabet))]
	}
	return string(b)
}

func randIntn(n int) int {
	// Rejection sampling keeps every character equally likely.
	limit := 256 - 256%n
	var buf [1]byte
	for {
		rand.Read(buf[:])
		if int(buf[0]) < limit {
			return int(buf[0]) % n
		}
	}
}

// NormalizeReference upper-cases a typed reference and drops spaces and
// hyphens; ok is false when it cannot be a reference.
func NormalizeReference(s string) (string, bool) {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
	if len(s) != RefLength {
		return "", false
	}
	for _, r := range s {
		if !strings.ContainsRune(refAlphabet, r) {
			return "", false
		}
	}
	return s, true
}

// Secrets derives a booking's manage token and check-in code from the
// service's key and the booking's random salt. The database keeps only the
// salt and the secrets' hashes: with the database alone the secrets cannot
// be found, and with the key they can be derived again to resend a text.
type Secrets struct {
	Key []byte
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func (s Secrets) derive(purpose string, salt []byte, n int) []byte {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte(purpose))
	m.Write(salt)
	return m.Sum(nil)[:n]
}

// ManageToken is the secret in the resident's manage link (128 bits).
func (s Secrets) ManageToken(salt []byte) string {
	return strings.ToLower(b32.EncodeToString(s.derive("manage\x00", salt, 16)))
}

// CheckinCode is what the QR code holds (100 bits): upper case letters and
// digits only, so the QR code uses its compact alphanumeric mode.
func (s Secrets) CheckinCode(salt []byte) string {
	return b32.EncodeToString(s.derive("checkin\x00", salt, 20))[:20]
}

func newSalt() []byte {
	b := make([]byte, 16)
	rand.Read(b)
	return b
}

func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// NormalizeCheckinCode takes what a scanner typed (the bare code, or a URL
// ending in it) and returns the code.
func NormalizeCheckinCode(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexAny(s, "/=:"); i >= 0 {
		s = s[i+1:]
	}
	return strings.ToUpper(strings.TrimSuffix(s, ".png"))
}

// equalHash compares a presented secret with a stored hash in constant time.
func equalHash(secret string, hash []byte) bool {
	return subtle.ConstantTimeCompare(hashSecret(secret), hash) == 1
}

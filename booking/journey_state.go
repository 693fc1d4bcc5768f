package booking

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"frontdoor"
	"frontdoor/web"
)

// The booking journey keeps no session: what was chosen travels in the
// address (service, day, start) and what the resident typed about themselves
// travels as one sealed value, "d", so that names and phone numbers never
// appear readable in addresses, browser history or proxies' logs.

// details is what the details page asks for, as typed.
type details struct {
	Name        string `json:"n"`
	Phone       string `json:"p"`
	Email       string `json:"e,omitempty"`
	Interpreter bool   `json:"i,omitempty"`
	Language    string `json:"l,omitempty"`
	Wheelchair  bool   `json:"w,omitempty"`
	PrivateRoom bool   `json:"r,omitempty"`
	LargePrint  bool   `json:"g,omitempty"`
	OtherNeeds  bool   `json:"o,omitempty"`
	Other       string `json:"t,omitempty"`
	People      string `json:"c"`
}

// needs is what the booking records.
func (d details) needs() Needs {
	n := Needs{Wheelchair: d.Wheelchair, PrivateRoom: d.PrivateRoom, LargePrint: d.LargePrint}
	if d.Interpreter {
		n.Interpreter = strings.TrimSpace(d.Language)
	}
	if d.OtherNeeds {
		n.Other = strings.TrimSpace(d.Other)
	}
	return n
}

func (d details) people() int {
	n, err := strconv.Atoi(strings.TrimSpace(d.People))
	if err != nil {
		return -1
	}
	return n
}

// input is the booking these details make at a slot.
func (d details) input(site, service, start, channel string) Input {
	return Input{Site: site, Service: service, Start: start, Name: d.Name, Phone: d.Phone, Email: d.Email,
		Needs: d.needs(), People: d.people(), Channel: channel}
}

// detailsFromForm reads the details form.
func detailsFromForm(f url.Values) details {
	d := details{Name: f.Get("name"), Phone: f.Get("phone"), Email: f.Get("email"),
		Language: f.Get("interpreter_language"), Other: f.Get("needs_other"), People: f.Get("people")}
	for _, n := range f["needs"] {
		switch n {
		case "interpreter":
			d.Interpreter = true
		case "wheelchair":
			d.Wheelchair = true
		case "private_room":
			d.PrivateRoom = true
		case "large_print":
			d.LargePrint = true
		case "other":
			d.OtherNeeds = true
		}
	}
	return d
}

// detailsOrder is the order of the details form's fields, for the error summary.
var detailsOrder = []string{"name", "phone", "email", "needs", "needs.interpreter", "needs.other", "people"}

// detailsIDs maps a booking field to the id of its input on the details form.
var detailsIDs = map[string]string{"needs.interpreter": "interpreter-language", "needs.other": "needs-other"}

// check validates the details as the booking will, plus what the form
// itself asks (a language when an interpreter is ticked).
func (d details) check() []web.FieldError {
	fields := map[string]string{}
	in := d.input("-", "-", "2000-01-01T00:00:00Z", "online")
	if strings.TrimSpace(d.People) == "" {
		in.People = 1
	}
	if _, err := in.validate(); err != nil {
		for k, v := range frontdoor.AsError(err).Fields {
			fields[k] = v
		}
	}
	if strings.TrimSpace(d.People) == "" || d.people() == 0 {
		fields["people"] = "Enter how many people are coming, from 1 to 6"
	}
	if d.Interpreter && strings.TrimSpace(d.Language) == "" {
		fields["needs.interpreter"] = "Enter the language you need an interpreter for"
	}
	if d.OtherNeeds && strings.TrimSpace(d.Other) == "" {
		fields["needs.other"] = "Tell us what else you need"
	}
	return fieldErrors(fields, detailsOrder, detailsIDs)
}

// sealer seals and opens the details value with a key derived from the
// service's secret key: the resident's browser carries it, only we read it.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) sealer {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("booking-journey\x00"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return sealer{aead}
}

func (s sealer) seal(d details) string {
	plain, _ := json.Marshal(d)
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, nil))
}

// open returns the details sealed in v; ok is false when v is missing,
// damaged or was not made by us.
func (s sealer) open(v string) (details, bool) {
	var d details
	if v == "" || len(v) > 8192 {
		return d, false
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) < s.aead.NonceSize() {
		return d, false
	}
	plain, err := s.aead.Open(nil, b[:s.aead.NonceSize()], b[s.aead.NonceSize():], nil)
	if err != nil || json.Unmarshal(plain, &d) != nil {
		return d, false
	}
	return d, true
}

// journey is where a resident is in the booking journey: what travels in
// the address from page to page.
type journey struct {
	Site    string
	Service string
	Day     string // YYYY-MM-DD, the site's local date
	Start   string // RFC 3339
	From    string // first date of the days shown
	Sealed  string // the sealed details, once given
}

func journeyFrom(site string, v url.Values) journey {
	return journey{Site: site, Service: strings.ToUpper(strings.TrimSpace(v.Get("service"))), Day: v.Get("day"),
		Start: v.Get("start"), From: v.Get("from"), Sealed: v.Get("d")}
}

// url is the address of a step of the journey, carrying its state.
func (j journey) url(step string) string {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("service", j.Service)
	set("day", j.Day)
	set("start", j.Start)
	set("from", j.From)
	set("d", j.Sealed)
	u := "/book/" + url.PathEscape(j.Site)
	if step != "" {
		u += "/" + step
	}
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	return u
}

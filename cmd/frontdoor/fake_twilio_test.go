package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTwilio is Twilio's Messages API on 127.0.0.1, enough of it for the
// real twilio-go client: create a message (POST .../Messages.json) and list
// them (GET, filtered by To, From and DateSent>). It checks the account SID
// in the path and the basic auth, answers as Twilio does (JSON with sid and
// status; errors as {"code","message","status"}), records every request,
// and can be told to fail, hang or refuse.
type fakeTwilio struct {
	t     testing.TB
	srv   *httptest.Server
	SID   string // account SID
	Token string // auth token

	mu       sync.Mutex
	messages []fakeMessage // accepted, oldest first
	creates  int           // create requests that passed auth, whatever the answer
	lists    int           // list requests that passed auth
	badAuth  int           // requests refused for auth or a wrong account
	fail     int           // answer the next fail creates with failWith, accepting nothing
	failWith int
	hang     int            // hold the next hang creates without accepting them, until released
	hangKept int            // accept the next hangKept creates, then hold the answer until released
	reject   map[string]int // To → Twilio error code answered with 400
	release  chan struct{}
	released bool
}

type fakeMessage struct {
	SID, To, From, Body, Status, StatusCallback string
	Created                                     time.Time
}

func newFakeTwilio(t testing.TB) *fakeTwilio {
	f := &fakeTwilio{t: t, SID: "AC" + randomHex(16), Token: randomHex(16), reject: map[string]int{}, release: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		f.Release()
		f.srv.Close()
	})
	return f
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// configure points the service (started after it) at this fake Twilio.
func (f *fakeTwilio) configure(t testing.TB) {
	t.Setenv("TWILIO_ACCOUNT_SID", f.SID)
	t.Setenv("TWILIO_AUTH_TOKEN", f.Token)
	t.Setenv("FRONTDOOR_SMS_FROM", "+447700900999")
	t.Setenv("FRONTDOOR_TWILIO_API_URL", f.srv.URL)
}

// Release lets every held request finish (held ones that accepted answer 201).
func (f *fakeTwilio) Release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.released {
		f.released = true
		close(f.release)
	}
}

func (f *fakeTwilio) set(fn func(f *fakeTwilio)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// Sent is a copy of the messages accepted so far.
func (f *fakeTwilio) Sent() []fakeMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.messages)
}

func (f *fakeTwilio) counts() (creates, lists, badAuth int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.creates, f.lists, f.badAuth
}

func twilioError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg, "more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), "status": status})
}

func (m fakeMessage) resource(account string) map[string]any {
	var sent any
	if m.Status != "queued" {
		sent = m.Created.Format(time.RFC1123Z)
	}
	return map[string]any{"sid": m.SID, "account_sid": account, "to": m.To, "from": m.From, "body": m.Body, "status": m.Status,
		"direction": "outbound-api", "num_segments": "1", "date_created": m.Created.Format(time.RFC1123Z), "date_updated": m.Created.Format(time.RFC1123Z),
		"date_sent": sent, "api_version": "2010-04-01", "error_code": nil, "error_message": nil,
		"uri": "/2010-04-01/Accounts/" + account + "/Messages/" + m.SID + ".json"}
}

func (f *fakeTwilio) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if r.URL.Path != "/2010-04-01/Accounts/"+f.SID+"/Messages.json" {
		f.set(func(f *fakeTwilio) { f.badAuth++ })
		twilioError(w, 404, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if !ok || user != f.SID || pass != f.Token {
		f.set(func(f *fakeTwilio) { f.badAuth++ })
		twilioError(w, 401, 20003, "Authenticate")
		return
	}
	switch r.Method {
	case http.MethodPost:
		f.create(w, r)
	case http.MethodGet:
		f.list(w, r)
	default:
		twilioError(w, 405, 20004, "Method not allowed")
	}
}

func (f *fakeTwilio) create(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		twilioError(w, 400, 21601, "Bad form")
		return
	}
	to, body := r.PostForm.Get("To"), r.PostForm.Get("Body")
	from := r.PostForm.Get("From") + r.PostForm.Get("MessagingServiceSid")
	f.mu.Lock()
	f.creates++
	var hold, keep bool
	var failWith, code int
	switch {
	case f.fail > 0:
		f.fail--
		failWith = f.failWith
	case f.hang > 0:
		f.hang--
		hold = true
	case f.reject[to] != 0:
		code = f.reject[to]
	case to == "" || body == "" || from == "":
		code = 21604
	default:
		if f.hangKept > 0 {
			f.hangKept--
			keep = true
		}
	}
	var m fakeMessage
	if failWith == 0 && !hold && code == 0 {
		m = fakeMessage{SID: "SM" + randomHex(16), To: to, From: from, Body: body, Status: "queued",
			StatusCallback: r.PostForm.Get("StatusCallback"), Created: time.Now().UTC().Truncate(time.Second)}
		f.messages = append(f.messages, m)
	}
	release := f.release
	f.mu.Unlock()
	switch {
	case failWith != 0:
		twilioError(w, failWith, 20500, "Internal Server Error")
	case hold:
		select { // the client gives up; Twilio never took it
		case <-r.Context().Done():
		case <-release:
		}
		twilioError(w, 503, 20500, "Service Unavailable")
	case code != 0:
		twilioError(w, 400, code, fmt.Sprintf("The 'To' number %s is not valid.", to))
	default:
		if keep { // Twilio took it, but its answer never arrives
			select {
			case <-r.Context().Done():
				return
			case <-release:
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		json.NewEncoder(w).Encode(m.resource(f.SID))
	}
}

func (f *fakeTwilio) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var after time.Time
	if s := q.Get("DateSent>"); s != "" {
		var err error
		if after, err = time.Parse(time.RFC3339, s); err != nil {
			twilioError(w, 400, 20001, "Invalid DateSent>")
			return
		}
	}
	f.mu.Lock()
	f.lists++
	var out []map[string]any
	for i := len(f.messages) - 1; i >= 0; i-- { // newest first
		m := f.messages[i]
		if (q.Get("To") != "" && m.To != q.Get("To")) || (q.Get("From") != "" && m.From != q.Get("From")) || (!after.IsZero() && m.Created.Before(after)) {
			continue
		}
		out = append(out, m.resource(f.SID))
	}
	f.mu.Unlock()
	if out == nil {
		out = []map[string]any{}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"messages": out, "page": 0, "page_size": len(out), "start": 0, "end": max(len(out)-1, 0),
		"first_page_uri": r.URL.RequestURI(), "next_page_uri": nil, "previous_page_uri": nil, "uri": r.URL.RequestURI()})
}

// twilioSignature signs a webhook as Twilio does, written here apart from
// twilio-go's validator: base64(HMAC-SHA1(token, URL + each form key and
// value, keys sorted)).
func twilioSignature(token, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		b.WriteString(k + form.Get(k))
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

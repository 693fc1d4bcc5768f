package booking

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"frontdoor"
	"frontdoor/notify"
)

// Booking statuses.
const (
	StatusBooked    = "booked"
	StatusCancelled = "cancelled"
	StatusCheckedIn = "checked_in"
	StatusSeen      = "seen"
	StatusNoShow    = "no_show"
)

// Channels a booking is made through.
var channels = []string{"online", "phone", "reception"}

// Needs are what the centre should prepare for. In JSON either an object or,
// as the API's simplest form, a string taken as Other.
type Needs struct {
	Interpreter string `json:"interpreter,omitempty"` // the language
	Wheelchair  bool   `json:"wheelchair,omitempty"`
	PrivateRoom bool   `json:"private_room,omitempty"`
	LargePrint  bool   `json:"large_print,omitempty"`
	Other       string `json:"other,omitempty"`
}

func (n *Needs) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*n = Needs{Other: s}
		return nil
	}
	type plain Needs
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return &frontdoor.Error{Kind: frontdoor.Invalid, Code: "bad_json", Message: "needs must be text or an object",
			Fields: map[string]string{"needs": "Must be text, or an object with interpreter, wheelchair, private_room, large_print and other"}}
	}
	*n = Needs(p)
	return nil
}

// Any reports whether any need is recorded.
func (n Needs) Any() bool { return n != Needs{} }

// List is the needs in words, for staff pages.
func (n Needs) List() []string {
	var l []string
	if n.Interpreter != "" {
		l = append(l, "Interpreter: "+n.Interpreter)
	}
	if n.Wheelchair {
		l = append(l, "Wheelchair access")
	}
	if n.PrivateRoom {
		l = append(l, "Private room")
	}
	if n.LargePrint {
		l = append(l, "Large print")
	}
	if n.Other != "" {
		l = append(l, n.Other)
	}
	return l
}

// Booking is a resident's appointment. Start and End are in the site's zone.
type Booking struct {
	ID        int64     `json:"-"`
	Reference string    `json:"reference"`
	Site      string    `json:"site"`
	Service   string    `json:"service"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Status    string    `json:"status"`
	Name      string    `json:"name"`
	Phone     string    `json:"phone"`
	Email     string    `json:"email,omitempty"`
	Needs     Needs     `json:"needs"`
	People    int       `json:"people"`
	Channel   string    `json:"channel"`
	CreatedAt time.Time `json:"created_at"`

	salt       []byte
	manageHash []byte
	sequence   int
}

// Input is the body of POST /api/v1/bookings.
type Input struct {
	Site    string `json:"site"`
	Service string `json:"service"`
	Start   string `json:"start"`
	Name    string `json:"name"`
	Phone   string `json:"phone"`
	Email   string `json:"email"`
	Needs   Needs  `json:"needs"`
	People  int    `json:"people"`
	Channel string `json:"channel"`
}

// checked is an Input that passed validation.
type checked struct {
	Input
	start  time.Time
	mobile bool
}

func (in Input) validate() (checked, error) {
	c := checked{Input: in}
	fields := map[string]string{}
	c.Name = strings.Join(strings.Fields(in.Name), " ")
	checkText(fields, "name", "your full name", c.Name, 100)
	phone, mobile, msg := NormalizePhone(in.Phone)
	if msg != "" {
		fields["phone"] = msg
	}
	c.Phone, c.mobile = phone, mobile
	c.Email = strings.TrimSpace(in.Email)
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email || !strings.Contains(c.Email[strings.LastIndex(c.Email, "@"):], ".") || len(c.Email) > 254 {
			fields["email"] = "Enter an email address in the correct format, like name@example.com"
		}
	}
	c.Needs.Interpreter = strings.TrimSpace(c.Needs.Interpreter)
	c.Needs.Other = strings.TrimSpace(c.Needs.Other)
	if utf8.RuneCountInString(c.Needs.Interpreter) > 50 {
		fields["needs.interpreter"] = "The language must be 50 characters or fewer"
	}
	if utf8.RuneCountInString(c.Needs.Other) > 500 {
		fields["needs.other"] = "Other needs must be 500 characters or fewer"
	}
	if c.People == 0 {
		c.People = 1
	}
	if c.People < 1 || c.People > 6 {
		fields["people"] = "Enter how many people are coming, from 1 to 6"
	}
	if c.Channel == "" {
		c.Channel = "online"
	}
	if !contains(channels, c.Channel) {
		fields["channel"] = "Channel must be online, phone or reception"
	}
	var err error
	if in.Start == "" {
		fields["start"] = "Choose an appointment time"
	} else if c.start, err = time.Parse(time.RFC3339, in.Start); err != nil {
		fields["start"] = "Give the start as an RFC 3339 time, like 2026-12-01T09:00:00Z"
	}
	if in.Site == "" {
		fields["site"] = "Choose a customer centre"
	}
	if in.Service == "" {
		fields["service"] = "Choose a service"
	}
	if len(fields) > 0 {
		return c, frontdoor.FieldErrors(fields)
	}
	return c, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var dramaMobile = regexp.MustCompile(`^7700900[0-9]{3}$`)

// NormalizePhone turns a UK number as people type it into E.164. mobile
// says whether it can take a text. msg is the problem in plain English.
func NormalizePhone(s string) (e164 string, mobile bool, msg string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false, "Enter a UK phone number, like 07700 900123"
	}
	if len(s) > 30 {
		return "", false, "Enter a UK phone number, like 07700 900123"
	}
	n, err := phonenumbers.Parse(s, "GB")
	if err == nil && n.GetCountryCode() == 44 && dramaMobile.MatchString(strconv.FormatUint(n.GetNationalNumber(), 10)) {
		// Ofcom keeps 07700 900000–900999 for drama and examples (our own API
		// docs use one); libphonenumber calls them invalid, but they are UK mobiles.
		// Extra leading zeros ("0007700 900000") are kept by E.164 formatting: not one of them.
		if e := phonenumbers.Format(n, phonenumbers.E164); e == "+44"+strconv.FormatUint(n.GetNationalNumber(), 10) {
			return e, true, ""
		}
		return "", false, "Enter a UK phone number, like 07700 900123"
	}
	if err != nil || !phonenumbers.IsValidNumberForRegion(n, "GB") {
		return "", false, "Enter a UK phone number, like 07700 900123"
	}
	t := phonenumbers.GetNumberType(n)
	return phonenumbers.Format(n, phonenumbers.E164), t == phonenumbers.MOBILE || t == phonenumbers.FIXED_LINE_OR_MOBILE, ""
}

// Created is a booking as first made (or found again): with its secrets.
type Created struct {
	Booking
	ManageToken string `json:"manage_token"`
	CheckinCode string `json:"checkin_code"`
	QRURL       string `json:"qr_url"`
	ICSURL      string `json:"ics_url"`
	ManageURL   string `json:"manage_url"`
	Existing    bool   `json:"-"` // the same phone already held this slot
}

// Book takes a place in a slot: one short write transaction that checks the
// count and inserts, so a slot is never booked beyond its capacity. The same
// phone booking the same slot again gets its existing booking back.
func (s *Store) Book(ctx context.Context, in Input) (Created, error) {
	return s.BookWith(ctx, in, nil)
}

// BookWith is Book with also run in the booking's transaction once the
// booking is written (not when an existing one is returned): the queue uses
// it to close a walk-in's ticket when they take an appointment instead.
func (s *Store) BookWith(ctx context.Context, in Input, also func(tx *sql.Tx, b Booking) error) (Created, error) {
	c, err := in.validate()
	if err != nil {
		return Created{}, err
	}
	sc, err := s.loadSchedule(ctx, c.Site, c.Service)
	if err != nil {
		return Created{}, err
	}
	now := s.Clock.Now()
	slot, err := sc.slotAt(c.start, now)
	if err != nil {
		return Created{}, err
	}
	var b Booking
	existing := false
	defer s.placesChanged()
	err = s.group.do(ctx, s.DB, func(tx *sql.Tx) error {
		found, err := scanBooking(tx.QueryRowContext(ctx, bookingSelect+` WHERE site_id = ? AND service_code = ? AND start_at = ?
			AND phone = ? AND status <> 'cancelled'`, sc.site.ID, sc.service.Code, frontdoor.Millis(slot.Start), c.Phone))
		if err == nil {
			b, existing = found, true
			return nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// Abuse limit: one phone number may hold at most MaxPerPhone future
		// bookings (0 = no limit). Checked in this transaction so that
		// concurrent requests cannot slip past it. Staff booking for a
		// resident (phone line, reception) are exempt: they can judge.
		if s.MaxPerPhone > 0 && !frontdoor.PrincipalFrom(ctx).Can(staffRoles...) {
			var held int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM bookings WHERE phone = ? AND status = 'booked' AND start_at > ?`,
				c.Phone, frontdoor.Millis(now)).Scan(&held); err != nil {
				return err
			}
			if held >= s.MaxPerPhone {
				return frontdoor.Errorf(frontdoor.Conflict, "too_many_bookings",
					"This phone number already has %d appointments booked, the most we allow. Cancel one to book another, or call us.", held)
			}
		}
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM bookings WHERE site_id = ? AND service_code = ? AND start_at = ?
			AND status <> 'cancelled'`, sc.site.ID, sc.service.Code, frontdoor.Millis(slot.Start)).Scan(&taken); err != nil {
			return err
		}
		if taken >= slot.Capacity {
			return frontdoor.Errorf(frontdoor.Conflict, "slot_full", "Sorry, %s has just been taken. Choose another time.",
				slot.Start.In(sc.loc).Format("3:04pm on Monday 2 January"))
		}
		b = Booking{Site: sc.site.ID, Service: sc.service.Code, Start: slot.Start, End: slot.End, Status: StatusBooked,
			Name: c.Name, Phone: c.Phone, Email: c.Email, Needs: c.Needs, People: c.People, Channel: c.Channel,
			CreatedAt: now, salt: newSalt()}
		if b.Reference, err = uniqueReference(ctx, tx); err != nil {
			return err
		}
		needs, _ := json.Marshal(b.Needs)
		res, err := tx.ExecContext(ctx, `INSERT INTO bookings(reference, site_id, service_code, start_at, end_at, name, phone, email,
			needs, people, channel, status, salt, manage_hash, checkin_hash, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			b.Reference, b.Site, b.Service, frontdoor.Millis(b.Start), frontdoor.Millis(b.End), b.Name, b.Phone, b.Email,
			string(needs), b.People, b.Channel, b.Status, b.salt, hashSecret(s.Secrets.ManageToken(b.salt)),
			hashSecret(s.Secrets.CheckinCode(b.salt)), frontdoor.PrincipalFrom(ctx).Label(), frontdoor.Millis(now), frontdoor.Millis(now))
		if err != nil {
			return fmt.Errorf("insert booking: %w", err)
		}
		if b.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, now, "public", "booking.created", b, map[string]any{"start": b.Start.UTC(), "channel": b.Channel}); err != nil {
			return err
		}
		if c.mobile {
			if err := s.queueText(ctx, tx, now, sc, b, notify.PurposeConfirmation, notify.ConfirmationText); err != nil {
				return err
			}
		}
		if also != nil {
			return also(tx, b)
		}
		return nil
	})
	if err != nil {
		return Created{}, err
	}
	return s.created(b, sc.loc, existing), nil
}

// created adds the secrets and links to a booking, in the site's zone.
func (s *Store) created(b Booking, loc *time.Location, existing bool) Created {
	b.Start, b.End, b.CreatedAt = b.Start.In(loc), b.End.In(loc), b.CreatedAt.In(loc)
	token, code := s.Secrets.ManageToken(b.salt), s.Secrets.CheckinCode(b.salt)
	manage := ManagePath(b.Reference, token)
	return Created{Booking: b, ManageToken: token, CheckinCode: code, QRURL: QRPath(code),
		ICSURL: manage + "/calendar.ics", ManageURL: s.BaseURL + manage, Existing: existing}
}

// ManagePath is the resident's manage link: the token travels in the path,
// which is never logged (logs carry route patterns only).
func ManagePath(ref, token string) string { return "/manage/" + ref + "/" + token }

// QRPath is where the booking's QR code image is served.
func QRPath(code string) string { return "/qr/" + code + ".png" }

func uniqueReference(ctx context.Context, tx *sql.Tx) (string, error) {
	for range 20 {
		ref := newReference()
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM bookings WHERE reference = ?`, ref).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return ref, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", errors.New("no unused booking reference found in 20 tries")
}

// queueText writes a booking's text to the outbox in tx. The dedupe key
// carries the booking's sequence, so each change queues its own text once.
func (s *Store) queueText(ctx context.Context, tx *sql.Tx, now time.Time, sc *schedule, b Booking, purpose string, text func(notify.BookingText) string) error {
	body := text(notify.BookingText{Service: sc.service.Name, Site: sc.site.Name, Reference: b.Reference, Start: b.Start.In(sc.loc),
		ManageURL: s.BaseURL + ManagePath(b.Reference, s.Secrets.ManageToken(b.salt))})
	_, err := notify.Enqueue(ctx, tx, now, notify.Message{
		DedupeKey: fmt.Sprintf("booking:%d:%s:%d", b.ID, purpose, b.sequence),
		Purpose:   purpose, Site: b.Site, BookingID: b.ID, To: b.Phone, Body: body})
	return err
}

const bookingSelect = `SELECT id, reference, site_id, service_code, start_at, end_at, status, name, phone, email, needs, people,
	channel, created_at, salt, manage_hash, sequence FROM bookings`

func scanBooking(row interface{ Scan(...any) error }) (Booking, error) {
	var b Booking
	var start, end, created int64
	var needs string
	err := row.Scan(&b.ID, &b.Reference, &b.Site, &b.Service, &start, &end, &b.Status, &b.Name, &b.Phone, &b.Email, &needs,
		&b.People, &b.Channel, &created, &b.salt, &b.manageHash, &b.sequence)
	if err != nil {
		return b, err
	}
	b.Start, b.End, b.CreatedAt = frontdoor.FromMillis(start), frontdoor.FromMillis(end), frontdoor.FromMillis(created)
	json.Unmarshal([]byte(needs), &b.Needs)
	return b, nil
}

package notify

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// The texts Frontdoor sends. Each is plain English in the GSM-7 alphabet,
// meant to fit one SMS (160 characters); those carrying a manage link take
// two. None names the resident: a phone's lock screen is not private.
// testdata/*.golden holds each as sent; go test ./notify -update rewrites them.

// BookingText is what a booking's texts say. Start is in the site's zone.
type BookingText struct {
	Service   string
	Site      string
	Reference string
	Start     time.Time
	ManageURL string
}

// when is "Tue 1 Dec, 9:30am": short, and unambiguous within a 90-day horizon.
func when(t time.Time) string {
	return t.Format("Mon 2 Jan, 3:04pm")
}

// ConfirmationText confirms a new booking.
func ConfirmationText(b BookingText) string {
	return fmt.Sprintf("Booked: %s, %s at %s. Ref %s. Change or cancel: %s", plain(b.Service), when(b.Start), plain(b.Site), b.Reference, b.ManageURL)
}

// ChangeText confirms a booking moved to a new time.
func ChangeText(b BookingText) string {
	return fmt.Sprintf("Changed: your %s appointment is now %s at %s. Ref %s. Manage: %s", plain(b.Service), when(b.Start), plain(b.Site), b.Reference, b.ManageURL)
}

// CancellationText confirms a cancelled booking.
func CancellationText(b BookingText) string {
	return fmt.Sprintf("Cancelled: your %s appointment on %s at %s (ref %s). Book again any time.", plain(b.Service), when(b.Start), plain(b.Site), b.Reference)
}

// DelayText tells a checked-in visitor their call is running late, as the
// charter asks: kept informed of any delay.
func DelayText(service string, expected time.Time) string {
	return fmt.Sprintf("Sorry, %s is running late today. We now expect to call you at about %s. You keep your place in the queue.",
		plain(service), expected.Format("3:04pm"))
}

// ReminderText reminds the resident of an appointment. It gives the date
// rather than "tomorrow", which would be wrong if it went out late, and no
// link, to stay one SMS: the link is in the booking text.
func ReminderText(b BookingText) string {
	return fmt.Sprintf("Reminder: %s, %s at %s. Ref %s. Can't come? Reply CANCEL or use your booking link.",
		plain(b.Service), when(b.Start), plain(b.Site), b.Reference)
}

// CancelReplyText answers a CANCEL reply that cancelled the booking.
func CancelReplyText(b BookingText) string {
	return fmt.Sprintf("Cancelled as you asked: %s, %s at %s (ref %s). Book again any time.", plain(b.Service), when(b.Start), plain(b.Site), b.Reference)
}

// NothingToCancelText answers a CANCEL reply when the appointment last
// texted about can no longer be cancelled (its time has passed, the visitor
// has checked in) or there is none.
func NothingToCancelText() string {
	return "We could not find an appointment to cancel from this number. To manage a booking, use the link in your booking text."
}

// CalledText tells a visitor in the queue that a desk is ready for them.
func CalledText(ticket, desk string) string {
	desk = plain(desk)
	if desk != "" && desk[0] >= '0' && desk[0] <= '9' {
		desk = "desk " + desk
	}
	return fmt.Sprintf("%s: please go to %s now.", ticket, desk)
}

// HelpText answers a reply Frontdoor does not understand (at most once a
// day a number). site is the centre last texted about, or "".
func HelpText(site string) string {
	who := "Council appointments"
	if site = plain(site); site != "" {
		who = site + " appointments"
	}
	return who + ": reply CANCEL to cancel the appointment we last texted you about, or STOP to get no more texts."
}

// SatisfactionText asks, after a visit, how it went (sites that turn it on).
func SatisfactionText(site string) string {
	return fmt.Sprintf("Thank you for visiting %s today. How did we do? Reply with a number from 1 (poor) to 5 (very good).", plain(site))
}

// keyword is an inbound text as a reply word: trimmed, upper case, with a
// trailing full stop or exclamation mark dropped ("Cancel." is CANCEL), with
// any white space among them ("stop\n!" is STOP).
func keyword(body string) string {
	return strings.TrimRightFunc(strings.ToUpper(strings.TrimSpace(body)), func(r rune) bool {
		return r == '.' || r == '!' || unicode.IsSpace(r)
	})
}

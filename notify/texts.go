package notify

import (
	"fmt"
	"time"
)

// BookingText is what a booking's texts say. Start is in the site's zone.
// Texts carry no name: a phone's lock screen is not private.
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
	return fmt.Sprintf("Booked: %s, %s at %s. Ref %s. Change or cancel: %s", b.Service, when(b.Start), b.Site, b.Reference, b.ManageURL)
}

// ChangeText confirms a booking moved to a new time.
func ChangeText(b BookingText) string {
	return fmt.Sprintf("Changed: your %s appointment is now %s at %s. Ref %s. Manage: %s", b.Service, when(b.Start), b.Site, b.Reference, b.ManageURL)
}

// CancellationText confirms a cancelled booking.
func CancellationText(b BookingText) string {
	return fmt.Sprintf("Cancelled: your %s appointment on %s at %s (ref %s). Book again any time.", b.Service, when(b.Start), b.Site, b.Reference)
}

// DelayText tells a checked-in visitor their call is running late, as the
// charter asks: kept informed of any delay.
func DelayText(service string, expected time.Time) string {
	return fmt.Sprintf("Sorry, %s is running late today. We now expect to call you at about %s. You keep your place in the queue.",
		service, expected.Format("3:04pm"))
}

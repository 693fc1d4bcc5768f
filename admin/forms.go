package admin

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"frontdoor"
	"frontdoor/web"
)

// form is what was posted and what is wrong with it: a message per input
// id, and the error summary in the order the inputs appear on the page.
type form struct {
	values  url.Values
	order   []string // input ids in page order, for the summary
	errs    map[string]string
	summary []web.FieldError
}

func newForm(values url.Values, order ...string) *form {
	if values == nil {
		values = url.Values{}
	}
	return &form{values: values, order: order, errs: map[string]string{}}
}

// get is the trimmed value of name, with a browser's CRLF line breaks
// (a textarea's) made plain newlines.
func (f *form) get(name string) string {
	return strings.TrimSpace(strings.ReplaceAll(f.values.Get(name), "\r\n", "\n"))
}

// checked is whether a checkbox named name was ticked.
func (f *form) checked(name string) bool { return f.values.Get(name) != "" }

// fail records msg against the input id; the first message for an input wins.
func (f *form) fail(id, msg string) {
	if _, ok := f.errs[id]; ok {
		return
	}
	f.errs[id] = msg
	f.summary = append(f.summary, web.FieldError{Field: id, Message: msg})
	rank := func(id string) int {
		if i := slices.Index(f.order, id); i >= 0 {
			return i
		}
		return len(f.order)
	}
	slices.SortStableFunc(f.summary, func(a, b web.FieldError) int { return rank(a.Field) - rank(b.Field) })
}

// failed reports whether anything is wrong.
func (f *form) failed() bool { return len(f.summary) > 0 }

// addError records a store's error: each field message against its input
// (ids maps the store's field names to input ids where they differ), and a
// message about no one field against fallback.
func (f *form) addError(e *frontdoor.Error, ids map[string]string, fallback string) {
	if len(e.Fields) == 0 {
		f.fail(fallback, e.Message)
		return
	}
	names := make([]string, 0, len(e.Fields))
	for name := range e.Fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		id := name
		if v, ok := ids[name]; ok {
			id = v
		}
		f.fail(id, e.Fields[name])
	}
}

// field is one text input (or textarea) as the templates draw it.
type field struct {
	ID, Name, Label, Hint, Value, Error string
	Class                               string // e.g. govuk-input--width-5
	Type                                string // text unless set
	Inputmode, Autocomplete, Suffix     string
	Rows                                int // a textarea when above 0
}

// DescribedBy is the input's aria-describedby: its hint and its error.
func (f field) DescribedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// text is a text input named id, showing what was posted.
func (f *form) text(id, label, hint, class string) field {
	return field{ID: id, Name: id, Label: label, Hint: hint, Value: f.values.Get(id), Error: f.errs[id], Class: class}
}

// number is a short input for a whole number, with a unit after it.
func (f *form) number(id, label, hint, suffix string) field {
	fl := f.text(id, label, hint, "govuk-input--width-4")
	fl.Inputmode, fl.Suffix = "numeric", suffix
	return fl
}

// choice is one option of a select, or one checkbox or radio.
type choice struct {
	Name     string // a checkbox's own name, when the group's items differ
	Value    string
	Text     string
	Hint     string
	Selected bool
}

// group is a select, or a fieldset of checkboxes or radios.
type group struct {
	ID, Name, Label, Hint, Error string
	Items                        []choice
}

// ItemID is the id of the i-th item: the first has the group's id, so
// that the error summary's link lands on it.
func (g group) ItemID(i int) string {
	if i == 0 {
		return g.ID
	}
	return g.ID + "-" + strconv.Itoa(i+1)
}

// DescribedBy is the group's aria-describedby.
func (g group) DescribedBy() string {
	return field{ID: g.ID, Hint: g.Hint, Error: g.Error}.DescribedBy()
}

// choices is a group named id whose selected items are those posted.
func (f *form) choices(id, label, hint string, items []choice) group {
	posted := f.values[id]
	for i := range items {
		name := items[i].Name
		if name == "" {
			items[i].Selected = slices.Contains(posted, items[i].Value)
		} else {
			items[i].Selected = f.values.Get(name) == items[i].Value
		}
	}
	return group{ID: id, Name: id, Label: label, Hint: hint, Error: f.errs[id], Items: items}
}

var clockInput = regexp.MustCompile(`^(\d{1,2})[:.](\d{2})$`)

// clock tidies a time of day as people type it ("9:30", "09.30") into
// HH:MM; anything else is returned as typed, for the store to refuse.
func clock(s string) string {
	s = strings.TrimSpace(s)
	m := clockInput.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	h, _ := strconv.Atoi(m[1])
	return fmt.Sprintf("%02d:%s", h, m[2])
}

// whole reads a whole number as typed; -1 (which every setting refuses
// with its own message) when it is not one.
func whole(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// sentence starts s with a lower-case letter, to follow a prefix like
// "Monday: ", unless it starts with a name ("Monday") or an abbreviation.
func sentence(s string) string {
	if len(s) < 2 || unicode.IsUpper(rune(s[1])) {
		return s
	}
	for _, d := range weekdays {
		if strings.HasPrefix(s, dayName(d)) {
			return s
		}
	}
	return strings.ToLower(s[:1]) + s[1:]
}

var weekdays = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

// dayName is "Monday" for "monday".
func dayName(d string) string {
	if d == "" {
		return d
	}
	return strings.ToUpper(d[:1]) + d[1:]
}

// roleNames are the roles as the pages word them.
var roleNames = map[string]string{
	frontdoor.RoleAdmin:     "Admin",
	frontdoor.RoleManager:   "Manager",
	frontdoor.RoleReception: "Reception",
	frontdoor.RoleOfficer:   "Desk officer",
	frontdoor.RoleDevice:    "Device (kiosk or lobby screen)",
}

// roleName words a role, or returns it as stored.
func roleName(role string) string {
	if n, ok := roleNames[role]; ok {
		return n
	}
	return role
}

package notify

import "strings"

// The GSM 03.38 alphabet: a text written only in it fits 160 characters in
// one SMS (153 a part when split); one character outside it makes the whole
// text UCS-2, 70 characters a part, and costs two to three times as much.
const (
	gsmBasic    = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtended = "\f^{}\\[~]|€" // two septets each
)

// GSMLength is s's length in GSM-7 septets, and false if s has a character
// GSM-7 cannot write.
func GSMLength(s string) (int, bool) {
	n := 0
	for _, r := range s {
		switch {
		case strings.ContainsRune(gsmBasic, r):
			n++
		case strings.ContainsRune(gsmExtended, r):
			n += 2
		default:
			return 0, false
		}
	}
	return n, true
}

// Segments is how many SMS parts s is sent as.
func Segments(s string) int {
	n, ok := GSMLength(s)
	single, part := 160, 153
	if !ok {
		n, single, part = 0, 70, 67
		for _, r := range s {
			n++
			if r > 0xFFFF {
				n++ // a surrogate pair
			}
		}
	}
	if n <= single {
		return 1
	}
	return (n + part - 1) / part
}

// plain makes text typed by staff (a site's or service's name) safe for
// GSM-7: typographic quotes, dashes and spaces become their plain forms, and
// anything else GSM-7 cannot write becomes "?" rather than turning the whole
// text into a dearer UCS-2 one.
func plain(s string) string {
	s = strings.NewReplacer("‘", "'", "’", "'", "“", `"`, "”", `"`, "–", "-", "—", "-", "…", "...",
		"\u00a0", " ", "\t", " ", "\n", " ", "\r", " ").Replace(s)
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(gsmBasic, r) || strings.ContainsRune(gsmExtended, r) {
			b.WriteRune(r)
			continue
		}
		if f, ok := gsmFold[r]; ok {
			b.WriteString(f)
			continue
		}
		b.WriteRune('?')
	}
	return strings.TrimSpace(b.String())
}

// gsmFold spells common accented letters (Welsh place names among them)
// without the accent GSM-7 lacks.
var gsmFold = map[rune]string{
	'á': "a", 'â': "a", 'ã': "a", 'ā': "a", 'ŵ': "w", 'ŷ': "y", 'ê': "e", 'ë': "e", 'ē': "e",
	'í': "i", 'î': "i", 'ï': "i", 'ó': "o", 'ô': "o", 'õ': "o", 'ú': "u", 'û': "u", 'ç': "c",
	'Á': "A", 'Â': "A", 'À': "A", 'Ê': "E", 'È': "E", 'Í': "I", 'Î': "I", 'Ó': "O", 'Ô': "O", 'Ú': "U", 'Û': "U",
	'Ŵ': "W", 'Ŷ': "Y", 'ł': "l", 'Ł': "L", 'ś': "s", 'ź': "z", 'ż': "z", 'ć': "c", 'ń': "n", 'ę': "e", 'ą': "a",
}

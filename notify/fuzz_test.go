package notify

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzKeyword: a resident's text comes down to one keyword, upper case and
// trimmed, which is the same when read again.
func FuzzKeyword(f *testing.F) {
	for _, s := range []string{"STOP", "  cancel \n", "Cancel.", "stop!", "5", " 3 ", "yes please", "STOP ALL", "start",
		"\u00a0STOP\u00a0", "STOP\t.", "stop\n!", "ǆ", "ß", "İ", "\xff\xfe", "", ".!", "Help me!!!", strings.Repeat("x", maxInbound+1)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		kw := keyword(body)
		if kw != strings.TrimSpace(kw) && utf8.ValidString(body) {
			t.Fatalf("keyword(%q) = %q: not trimmed", body, kw)
		}
		if strings.HasSuffix(kw, ".") || strings.HasSuffix(kw, "!") {
			t.Fatalf("keyword(%q) = %q ends in punctuation", body, kw)
		}
		_ = optOutWords[kw] || optInWords[kw]
		_ = scoreWords[kw]
	})
}

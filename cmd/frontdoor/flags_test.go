package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// --reminder, or FRONTDOOR_REMINDER, set wrong stops serve with a message
// naming it, before it listens.
func TestReminderFlag(t *testing.T) {
	args := []string{"--addr", freeAddr(t), "--db", t.TempDir() + "/fd.db", "--reminder", "next tuesday"}
	err := serveCommand(context.Background(), args, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `--reminder "next tuesday"`) {
		t.Errorf("serve --reminder 'next tuesday': %v", err)
	}
	t.Setenv("FRONTDOOR_REMINDER", "-3x")
	err = serveCommand(context.Background(), args[:4], io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `--reminder "-3x"`) {
		t.Errorf("serve with FRONTDOOR_REMINDER=-3x: %v", err)
	}
}

package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// keyPath is where the service's secret key lives: beside the database
// unless --secret-file says otherwise.
func keyPath(cfg config) string {
	if cfg.SecretFile != "" {
		return cfg.SecretFile
	}
	return filepath.Join(filepath.Dir(cfg.DB), "secret.key")
}

// loadKey reads the key that derives bookings' manage links and check-in
// codes, creating it (readable by this user only) on first start. It is kept
// out of the database so that a copy of the database alone reveals no
// resident's link. Lose it and existing links still work (their hashes are
// in the database), but confirmations can no longer be resent with them.
func loadKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) < 32 {
			return nil, fmt.Errorf("secret key %s is too short: delete it to make a new one", path)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read secret key: %w", err)
	}
	key = make([]byte, 32)
	rand.Read(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create secret key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadKey(path) // another process made it first
	}
	if err != nil {
		return nil, fmt.Errorf("create secret key: %w", err)
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, fmt.Errorf("write secret key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("write secret key: %w", err)
	}
	return key, f.Close()
}

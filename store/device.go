package store

import (
	"crypto/ed25519"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Device returns the terminal's enrolled identity (ErrNotEnrolled if none).
// The key is the one secret the file holds (the file is mode 0600).
func (db *DB) Device() (id string, key ed25519.PrivateKey, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		v, k := meta.Get(keyDeviceID), meta.Get(keyDeviceKey)
		if v == nil || k == nil {
			return ErrNotEnrolled
		}
		if len(k) != ed25519.SeedSize {
			return fmt.Errorf("device key of %d bytes: %w", len(k), ErrCorrupt)
		}
		id, key = string(v), ed25519.NewKeyFromSeed(k)
		return nil
	})
	if err != nil {
		return "", nil, fmt.Errorf("device: %w", err)
	}
	return id, key, nil
}

// SetDevice records the terminal's identity after enrollment, replacing
// any earlier one. Only the key's 32-byte seed is stored.
func (db *DB) SetDevice(id string, key ed25519.PrivateKey) error {
	if id == "" || len(key) != ed25519.PrivateKeySize {
		return fmt.Errorf("set device: %w: need an id and an Ed25519 private key", ErrInvalidRecord)
	}
	err := db.updateState(func(tx *bolt.Tx, _ *state) error {
		meta := tx.Bucket(bucketMeta)
		if err := meta.Put(keyDeviceID, []byte(id)); err != nil {
			return err
		}
		return meta.Put(keyDeviceKey, key.Seed())
	}, nil)
	return wrapWrite("set device", err)
}

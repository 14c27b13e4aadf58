// Package assets holds what ships inside the checkpoint binary: the sound
// clips, the default configuration with its site profiles, and the slot
// where a deployer puts the trust root and trust list a kiosk starts from.
//
// It imports nothing of ours, so any package may use it.
package assets

//go:generate bash sounds/generate.sh

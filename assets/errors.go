package assets

import "errors"

var (
	// ErrNoSuchAsset is returned for a sound or file the binary does not carry.
	ErrNoSuchAsset = errors.New("no such asset")
	// ErrBadConfig is returned for a configuration that does not parse or
	// names an unknown site, a bad duration or a bad time of day.
	ErrBadConfig = errors.New("bad configuration")
	// ErrNoBootstrap is returned when the binary was built without a
	// bootstrap trust root or trust list.
	ErrNoBootstrap = errors.New("no bootstrap trust data built in")
)

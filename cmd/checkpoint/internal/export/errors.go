package export

import "errors"

var (
	// ErrBadFilter is returned for a --color or --site value that names no
	// colour or site.
	ErrBadFilter = errors.New("bad filter")
)

package thermo

import (
	"context"
	"errors"
	"fmt"
)

// Source yields one temperature reading as text: a serial Thermometer, or
// the keypad.
type Source interface {
	Temperature(ctx context.Context) (string, error)
}

// First is a Source that asks every source at once and returns the first
// reading, cancelling the other requests: a kiosk with a serial thermometer
// still takes a typed temperature when the thermometer fails to read. A
// source that fails (an unplugged thermometer) leaves the others to answer;
// First fails only when all have.
//
// A source must honour ctx without losing what it has not yet returned; a
// reading that races the winner is dropped, and the officer re-measures.
func First(sources ...Source) Source { return first(sources) }

type first []Source

func (f first) Temperature(ctx context.Context) (string, error) {
	if len(f) == 1 {
		return f[0].Temperature(ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type answer struct {
		text string
		err  error
	}
	answers := make(chan answer, len(f))
	for _, s := range f {
		go func() {
			t, err := s.Temperature(ctx)
			answers <- answer{t, err}
		}()
	}
	var errs []error
	for range f {
		a := <-answers
		if a.err == nil {
			return a.text, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		errs = append(errs, a.err)
	}
	return "", fmt.Errorf("every temperature source failed: %w", errors.Join(errs...))
}

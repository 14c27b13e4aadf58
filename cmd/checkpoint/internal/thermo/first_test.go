package thermo

import (
	"context"
	"errors"
	"testing"
)

// keypad stands in for the officer's keypad: it answers when told to.
type keypad chan string

func (k keypad) Temperature(ctx context.Context) (string, error) {
	select {
	case s := <-k:
		return s, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func TestFirst(t *testing.T) {
	t.Run("serial answers first", func(t *testing.T) {
		master, slave := openPTY(t)
		th := open(t, slave)
		src := First(th, make(keypad))
		master.WriteString("36.8\r\n")
		if got, err := src.Temperature(context.Background()); err != nil || got != "36.8" {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	t.Run("keypad answers when the thermometer is unplugged", func(t *testing.T) {
		master, slave := openPTY(t)
		th := open(t, slave)
		master.Close()
		k := make(keypad, 1)
		k <- "36.6"
		if got, err := First(th, k).Temperature(context.Background()); err != nil || got != "36.6" {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	t.Run("all failed", func(t *testing.T) {
		master, slave := openPTY(t)
		th := open(t, slave)
		master.Close()
		master2, slave2 := openPTY(t)
		th2 := open(t, slave2)
		master2.Close()
		if _, err := First(th, th2).Temperature(context.Background()); !errors.Is(err, ErrDisconnected) {
			t.Fatalf("err = %v, want ErrDisconnected", err)
		}
	})
	t.Run("ctx", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := First(make(keypad), make(keypad)).Temperature(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

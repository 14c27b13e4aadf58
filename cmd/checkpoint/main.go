// Command checkpoint is the program on the officer's kiosk: it reads health
// codes from a camera, a video, images or a scanner gun, verifies them
// offline, takes the temperature, decides pass / deny / report, records the
// entry and, whenever the upstream answers, syncs keys, revocations and
// reports.
//
// Run `checkpoint help` for the subcommands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first Ctrl-C or SIGTERM cancels ctx and the command winds down;
	// but one blocked in a system call (opening a FIFO nobody writes, a
	// stuck device) never looks at ctx. Once ctx is done the signals get
	// their default action back, so a second one ends the process.
	go func() {
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ex exitError
		if errors.As(err, &ex) {
			os.Exit(ex.code)
		}
		fmt.Fprintln(os.Stderr, "checkpoint:", err)
		os.Exit(1)
	}
}

// Command upstream is yanma's reference upstream service: it serves the
// signed trust list and revocation feed, enrolls terminals, takes their
// reports, and issues health codes (as QR PNGs) for demos and tests.
//
//	upstream serve --addr 127.0.0.1:8700 --data DIR
//	upstream issue --data DIR --sub ID --name 张三 --id 450103199001011234 --color green --png out.png
//	upstream enroll-code --data DIR
//	upstream root --data DIR [--out root.jwk]
//	upstream trust-list --data DIR --out trust.jws
//	upstream revocations --data DIR [--from N] --out revocations.jws
//	upstream set-color --data DIR --sub ID --color green
//	upstream revoke-device --data DIR --device dev-…
//	upstream sightings --data DIR [--max 50]
//	upstream issuer-key --data DIR --step prepare|rotate
//
// Commands other than serve open the data directory's file directly; while
// `upstream serve` holds it, they go through the running server's admin API
// (its address and admin token are in the data directory).
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
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var ee exitError
	switch {
	case errors.As(err, &ee):
		os.Exit(ee.code)
	case err != nil:
		fmt.Fprintln(os.Stderr, "upstream:", err)
		os.Exit(1)
	}
}

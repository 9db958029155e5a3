// Command closeloop-bench generates realistic Chinese data sets and
// measures Closeloop against the raw database (see docs/performance.md).
//
//	closeloop-bench gen --customers N [--contacts-per 3] [--activities-per 5] [--users 200] [--data DIR | --db postgres://…] [--seed 1]
//	closeloop-bench load create|list|search|mixed --url http://127.0.0.1:8080 [--data DIR | --db …] …
//	closeloop-bench import --rows 100000 --format csv|xlsx [--data DIR | --db …]
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"closeloop/internal/bench/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "closeloop-bench:", err)
		os.Exit(1)
	}
}

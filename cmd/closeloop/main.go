// Command closeloop is the whole product in one binary: the web UI and API
// server, and the administration commands around it. See internal/cli.
package main

import (
	"context"
	"fmt"
	"os"

	"closeloop/internal/cli"
)

func main() {
	if err := cli.Run(context.Background(), os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}); err != nil {
		fmt.Fprintln(os.Stderr, "closeloop:", err)
		os.Exit(1)
	}
}

//go:build !unix

package pdfdoc

import "time"

func cpuTime() time.Duration { return 0 }

//go:build unix

package pdfdoc

import (
	"syscall"
	"time"
)

// cpuTime is the process's user and system CPU time so far: the cost of
// work, unlike wall time, does not grow when other processes share the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

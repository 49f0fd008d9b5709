package promserver

import "syscall"

// procAttr makes the kernel kill Prometheus if the test binary dies without cleaning up
// (a panic, go test's timeout): no server outlives its test run.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

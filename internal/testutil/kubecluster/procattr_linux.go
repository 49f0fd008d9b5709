package kubecluster

import "syscall"

// procAttr makes the kernel kill a component if the test binary dies without cleaning up
// (a panic, go test's timeout, a SIGKILL): no control plane outlives its test run.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

//go:build !linux

package kubecluster

import "syscall"

// procAttr has nothing to add outside Linux: Pdeathsig does not exist there.
func procAttr() *syscall.SysProcAttr { return nil }

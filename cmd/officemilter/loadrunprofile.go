//go:build loadrunprofile

package main

import (
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

// Built only with -tags loadrunprofile (the load run's profile mode): a CPU
// profile of the whole daemon into $OFFICEMILTER_CPUPROFILE from start
// until SIGUSR1.
func init() {
	name := os.Getenv("OFFICEMILTER_CPUPROFILE")
	if name == "" {
		return
	}
	f, err := os.Create(name)
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	go func() {
		<-sig
		pprof.StopCPUProfile()
		f.Close()
	}()
}

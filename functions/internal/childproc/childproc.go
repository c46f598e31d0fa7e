// Package childproc holds what every tool that runs a local server as a
// child process needs: a free loopback port and a polite stop. It is test
// and development support (tests, make run, the load generator).
package childproc

import (
	"net"
	"os"
	"os/exec"
	"time"
)

// FreePort returns a loopback port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Stop interrupts cmd and waits for done (closed when cmd.Wait returned),
// killing the process if it has not exited within grace.
func Stop(cmd *exec.Cmd, done <-chan struct{}, grace time.Duration) {
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
	}
}

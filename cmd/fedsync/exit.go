package main

import (
	"errors"
	"fmt"
)

// Exit codes of every command (documented in the root help).
const (
	exitOK      = 0 // the command did all it was asked
	exitError   = 1 // the command could not do its job: bad flags, no agent, a fatal error
	exitPartial = 2 // the command ran but some items failed: import rows refused, verify found differences
)

// codeError carries an exit code with the error to print. A nil err with a
// code prints nothing more (the command already reported).
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *codeError) Unwrap() error { return e.err }

// partial returns an error that makes fedsync exit with exitPartial after
// printing msg.
func partial(format string, args ...any) error {
	return &codeError{code: exitPartial, err: fmt.Errorf(format, args...)}
}

// exitCode maps an error returned by a command to a process exit code.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ce *codeError
	if errors.As(err, &ce) {
		return ce.code
	}
	return exitError
}

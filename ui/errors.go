package ui

import (
	"errors"
	"fmt"
)

// ErrInvalidValue is wrapped by every error about a value a component
// refuses: of the wrong type, out of range, not one of the choices.
var ErrInvalidValue = errors.New("ui: invalid value")

// ErrBuild is wrapped by every error Blocks.Build reports: a layout,
// property or value function that can't work.
var ErrBuild = errors.New("ui: invalid page")

// ValueError is a value a component refused. It wraps ErrInvalidValue.
type ValueError struct {
	// Component names the component as Describe does:
	// ui.Slider "Confidence Threshold".
	Component string
	// Reason says what is wrong with the value.
	Reason string
}

func (e *ValueError) Error() string {
	return "ui: " + e.Component + ": " + e.Reason
}

// Unwrap returns ErrInvalidValue.
func (e *ValueError) Unwrap() error { return ErrInvalidValue }

// valueErr returns a *ValueError for c.
func valueErr(c Component, format string, args ...any) error {
	return &ValueError{Component: Describe(c), Reason: fmt.Sprintf(format, args...)}
}

// BuildError is one problem Blocks.Build found. Build joins them with
// errors.Join; each wraps ErrBuild.
type BuildError struct {
	// Component names the component at fault, with its id when it has one:
	// ui.Slider "Speed" (component-3). Empty for a page-wide problem.
	Component string
	// Problem says what is wrong.
	Problem string
	// Err is the underlying error, if any.
	Err error
}

func (e *BuildError) Error() string {
	s := "ui: "
	if e.Component != "" {
		s += e.Component + ": "
	}
	s += e.Problem
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is ErrBuild.
func (e *BuildError) Is(target error) bool { return target == ErrBuild }

// Unwrap returns the underlying error.
func (e *BuildError) Unwrap() error { return e.Err }

//go:build !linux

package cli

// rawOutput is a no-op where the engine's TTY streams are not expected.
func rawOutput(uintptr) error { return nil }

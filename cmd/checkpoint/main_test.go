package main

import (
	"os"
	"testing"
)

// TestMain lets a test run this very binary as the checkpoint program (in a
// tmux pane, as a child to kill): with YANMA_TEST_AS_CHECKPOINT=1 it is main.
func TestMain(m *testing.M) {
	if os.Getenv("YANMA_TEST_AS_CHECKPOINT") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

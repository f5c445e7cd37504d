// Command snnc compiles spiking neural networks for neuromorphic chips and runs them on
// bit-accurate emulators. See shared/spec/cli.md and docs/cli.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// commands registered by the command files (one file per command group).
var commands []func() *cobra.Command

// addCommand registers a command constructor; call it from an init function.
func addCommand(mk ...func() *cobra.Command) { commands = append(commands, mk...) }

// usageError marks bad usage (exit 2).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// run executes the CLI: 0 success, 1 user error, 2 bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	root := &cobra.Command{
		Use:           "snnc",
		Short:         "Compile spiking neural networks for neuromorphic chips and run them on bit-accurate emulators",
		SilenceUsage:  true,
		SilenceErrors: true,
		Example: `  snnc compile testdata/models/ff_lif.json --target loihi -o net.img
  snnc run net.img --input testdata/stimuli/ff_lif.json --steps 100 --stats -o trace.json
  snnc inspect net.img`,
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	for _, mk := range commands {
		root.AddCommand(mk())
	}
	err := root.Execute()
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "snnc: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return 2
	}
	return 1
}

func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "required flag", "invalid argument"} {
		if len(s) >= len(p) && contains(s, p) {
			return true
		}
	}
	return false
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

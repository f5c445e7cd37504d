package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/targets"
)

// targetFlags registers every target's own flags on a command (deduplicated by name) and
// returns a function giving the values set for the chosen target.
type targetFlags struct {
	vals  map[string]*string
	owner map[string][]string
}

func addTargetFlags(cmd *cobra.Command) *targetFlags {
	tf := &targetFlags{vals: map[string]*string{}, owner: map[string][]string{}}
	usage := map[string][]string{}
	var names []string
	for _, t := range targets.All() {
		for _, f := range t.Flags() {
			if _, ok := usage[f.Name]; !ok {
				names = append(names, f.Name)
			}
			usage[f.Name] = append(usage[f.Name], fmt.Sprintf("%s: %s (default %q)", t.Name(), f.Usage, f.Default))
			tf.owner[f.Name] = append(tf.owner[f.Name], t.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if cmd.Flags().Lookup(n) != nil {
			continue
		}
		v := new(string)
		tf.vals[n] = v
		cmd.Flags().StringVar(v, n, "", "["+strings.Join(tf.owner[n], ",")+"] "+strings.Join(usage[n], "; "))
	}
	return tf
}

// forTarget returns the flags the user set, refusing ones the target does not have.
func (tf *targetFlags) forTarget(cmd *cobra.Command, t targets.Target) (map[string]string, error) {
	out := map[string]string{}
	own := map[string]bool{}
	for _, f := range t.Flags() {
		own[f.Name] = true
	}
	for n, v := range tf.vals {
		if !cmd.Flags().Changed(n) {
			continue
		}
		if !own[n] {
			return nil, usagef("--%s applies to target %s, not %s", n, strings.Join(tf.owner[n], ", "), t.Name())
		}
		out[n] = *v
	}
	return out, nil
}

package llvm

import (
	"errors"
	"fmt"

	"github.com/snnc/snnc/targets"
)

// Sentinel errors of the llvm target.
var (
	// ErrUnsupported wraps targets.ErrUnsupported: a node or feature the native path
	// does not implement (the message names it).
	ErrUnsupported = fmt.Errorf("llvm: %w", targets.ErrUnsupported)
	// ErrPayload is a malformed loihi payload or llvm image payload.
	ErrPayload = errors.New("llvm: bad image payload")
	// ErrTools means the LLVM 14 tools or the system linker are missing.
	ErrTools = errors.New("llvm: toolchain not found")
	// ErrBuild is a failure of opt, llc or the linker on a generated module.
	ErrBuild = errors.New("llvm: build failed")
	// ErrRun is a failure of the native binary or of its output.
	ErrRun = errors.New("llvm: native run failed")
	// ErrInput is a bad stimulus or probe request.
	ErrInput = errors.New("llvm: bad input")
)

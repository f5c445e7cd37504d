package main

// Every target registers itself in its package's init.
import (
	_ "github.com/snnc/snnc/targets/analog"
	_ "github.com/snnc/snnc/targets/crossbar"
	_ "github.com/snnc/snnc/targets/llvm"
	_ "github.com/snnc/snnc/targets/loihi"
	_ "github.com/snnc/snnc/targets/ref"
)

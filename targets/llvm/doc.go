// Package llvm is under construction; see its issue.
package llvm

// Package quantize is under construction; see its issue.
package quantize

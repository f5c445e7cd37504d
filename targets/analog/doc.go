// Package analog is under construction; see its issue.
package analog

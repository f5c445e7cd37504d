// Package compiler is under construction; see its issue.
package compiler

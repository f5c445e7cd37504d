// Package snnjson is under construction; see its issue.
package snnjson

// Package data is under construction; see its issue.
package data

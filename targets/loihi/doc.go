// Package loihi is under construction; see its issue.
package loihi

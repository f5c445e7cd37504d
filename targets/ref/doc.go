// Package ref is under construction; see its issue.
package ref

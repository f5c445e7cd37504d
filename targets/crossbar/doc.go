// Package crossbar is under construction; see its issue.
package crossbar

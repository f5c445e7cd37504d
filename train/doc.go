// Package train is under construction; see its issue.
package train

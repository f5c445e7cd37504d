package nir

const (
	fixtureDir  = "../../../shared/fixtures/nir"
	snntorchDir = "../../../shared/fixtures/snntorch"
)

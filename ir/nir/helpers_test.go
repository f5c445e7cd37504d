package nir

import "flag"

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

const fixtureDir = "../../../shared/fixtures/nir"
const snntorchDir = "../../../shared/fixtures/snntorch"

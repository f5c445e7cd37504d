# snnc — see README.md
GO ?= go
PKGS := ./...

.PHONY: build test test-update bench demo lint fuzz clean

build:
	$(GO) build -o snnc ./cmd/snnc

test:
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 15m $(PKGS)

test-update:
	$(GO) test -count=1 $(PKGS) -update

bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x -timeout 30m $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 60s ./ir/snnjson

demo: build
	@mkdir -p out
	./snnc compile testdata/models/ff_lif.json --target ref -o out/ff_ref.img
	./snnc run out/ff_ref.img --input testdata/stimuli/ff_lif.json --steps 100 -o out/ff_ref.trace.json --probe lif1.v --stats
	./snnc inspect out/ff_ref.img
	./snnc import testdata/nir/snntorch_net1.nir --source-framework snntorch -o out/net1.json
	./snnc compile out/net1.json --target loihi --report -o out/net1.loihi.img
	./snnc run out/net1.loihi.img --input testdata/stimuli/snntorch_net1.json --stats -o out/net1.loihi.trace.json

clean:
	rm -rf snnc out

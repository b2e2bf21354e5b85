# Fuzzing (issue: hostile input): every native Go fuzz target in the
# modules, one after another, each for FUZZTIME (FUZZ_PARALLEL workers).
# `make test` already runs each target's seed corpus and its testdata/fuzz
# regressions as ordinary tests. A crash is written under the package's
# testdata/fuzz/<Target>/: commit it, and it stays a regression test.
# Knobs: FUZZTIME (1m), FUZZ_PARALLEL (1), FUZZ (a regexp of target names).
.PHONY: fuzz

FUZZTIME ?= 1m
FUZZ_PARALLEL ?= 1
FUZZ ?= .

fuzz:
	@for file in $$(grep -rl --include='*_test.go' '^func Fuzz' $(MODULES)); do \
		dir=$$(dirname $$file); \
		for target in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$file | grep -E '$(FUZZ)'); do \
			echo "== $$target ($$dir) for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -parallel $(FUZZ_PARALLEL) ./$$dir || exit 1; \
		done; \
	done

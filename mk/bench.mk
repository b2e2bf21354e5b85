# The end-to-end benchmark (issue: performance). Until it exists, the Go
# micro-benchmarks.
.PHONY: bench
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 $(foreach m,$(MODULES),$(MODPATH)/$(m)/...)

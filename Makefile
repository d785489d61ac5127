# The two commands of the README: `make run` and `make test`. Everything else is detail.
.PHONY: all deps build run test test-release compat test-asan fuzz clean

JOBS ?= $(shell nproc)
RELEASE_DIR := build/release
ASAN_DIR := build/asan
FUZZ_DIR := build/fuzz
FUZZ_SECONDS ?= 20

all: build

deps:
	@tools/install-deps.sh

build: deps
	@cmake -S . -B $(RELEASE_DIR) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(RELEASE_DIR) -j$(JOBS)

run: build
	@mkdir -p data
	exec $(RELEASE_DIR)/sluice-server --port 6379 --bind 127.0.0.1 --dir ./data

test: build
	@$(MAKE) --no-print-directory test-release compat test-asan fuzz

test-release:
	@echo "== tests (Release)"
	@cd $(RELEASE_DIR) && { ctest --output-on-failure || \
		{ $(CURDIR)/tools/failure-summary.sh Testing/Temporary/LastTest.log; exit 1; }; }

# Real client libraries, job-queue libraries and Redis's own tools against the Release server
# (redis-compat/README.md; `redis-compat/run.sh --server redis` runs them against redis-server).
compat: build
	@redis-compat/run.sh --bin $(CURDIR)/$(RELEASE_DIR)/sluice-server

test-asan:
	@echo "== tests (ASan+UBSan)"
	@cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_DIR) -j$(JOBS)
	@cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure || \
		{ $(CURDIR)/tools/failure-summary.sh Testing/Temporary/LastTest.log; exit 1; }

fuzz:
	@echo "== fuzz ($(FUZZ_SECONDS)s per target)"
	@CC=clang CXX=clang++ cmake -S tests/fuzz -B $(FUZZ_DIR) >/dev/null
	@cmake --build $(FUZZ_DIR) -j$(JOBS)
	@for t in $(FUZZ_DIR)/*_fuzz; do \
		name=$$(basename $$t .fuzz); name=$${name%_fuzz}; mkdir -p $(FUZZ_DIR)/corpus/$$name; \
		if ! $$t -max_total_time=$(FUZZ_SECONDS) $(FUZZ_DIR)/corpus/$$name tests/fuzz/corpus/$$name \
			> $(FUZZ_DIR)/$$name.log 2>&1; then tail -n 40 $(FUZZ_DIR)/$$name.log; exit 1; fi; \
		tail -n 1 $(FUZZ_DIR)/$$name.log; \
	done

clean:
	rm -rf build

.PHONY: setup build dev test lint bench faults simulate-call

setup:
	bash scripts/setup.sh

build: setup
	bash scripts/build.sh

dev: setup
	bash scripts/dev.sh

test: setup
	bash scripts/test.sh

lint: setup
	bash scripts/lint.sh

# Places a simulated call against `make dev`: make simulate-call STATUS=busy FROM=+14155550124
simulate-call:
	cargo run -q --example simulate_call -- --status $(or $(STATUS),no-answer) --from $(or $(FROM),+14155550123)

# Prints latency and cost figures: make bench (all), make bench BENCH=fast_path, poll, mixed_poll, scale
# or queue (the CHECKS queue's due-to-text times; QUEUE_CALLS=100,1000,10000 to change)
bench: setup
	bash scripts/with-test-cluster.sh cargo bench $(if $(BENCH),--bench $(BENCH),)

# The race-and-fault suite: prints a row per scenario and fails on any lost, doubled or wrongly
# texted call. make faults TRIALS=1000 (SEED= replays a run)
faults: setup
	bash scripts/with-test-cluster.sh cargo bench --bench faults

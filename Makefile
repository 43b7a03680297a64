.PHONY: setup build dev test lint bench simulate-call

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

# netbox-kea-ha: the two commands are `make demo` and `make test`. See README.md.
SHELL := /bin/bash
export NETBOX_VERSION ?= v4.6.8

.PHONY: help demo test stop setup lint format bench docs clean

help:
	@echo "make demo   NetBox $(NETBOX_VERSION) + this plugin + a real Kea HA trio on 127.0.0.1 (web on :8080)"
	@echo "make test   ruff, migrations check, mypy, and the whole suite against real NetBox, PostgreSQL, Redis, Kea"
	@echo "make stop   stop everything make demo / make test started"
	@echo "make bench  run the benchmarks in bench/ and print their figures"
	@echo "make docs   serve the documentation site (docs/, MkDocs) on http://127.0.0.1:8001/"

setup:
	@scripts/sysdeps.sh
	@scripts/netbox.sh

demo:
	@scripts/demo.sh

test:
	@scripts/test.sh

stop:
	@scripts/stop.sh

lint:
	@.work/venv/bin/ruff check . && .work/venv/bin/ruff format --check .

format:
	@.work/venv/bin/ruff check --fix . && .work/venv/bin/ruff format .

bench:
	@scripts/bench.sh

docs:
	@scripts/docs.sh

clean: stop
	@awk -v p="$(CURDIR)/.work/" 'index($$2, p) == 1 {print $$2}' /proc/mounts | sort -r | xargs -r -n1 umount -l
	rm -rf .work

# `make render` renders the whole book; `make test` runs the tests (`make test-fast`: all but
# renders and slow tests). All first install whatever is missing (apt packages, the .venv, torch,
# the project) and skip what is there.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
Q ?= m
JOBS ?= $(shell nproc)
APT_PACKAGES := ffmpeg libcairo2-dev libpango1.0-dev pkg-config fonts-noto-cjk texlive-latex-base \
	texlive-latex-extra texlive-fonts-recommended dvisvgm \
	chromium epubcheck
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup apt render test test-fast clean

setup: apt $(STAMP)

apt:
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing apt packages:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# torch==2.13.0 is the local CPU build; installing it first keeps pip from fetching a CUDA one.
$(STAMP): pyproject.toml
	@[ -x $(BIN)/python ] || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[test]"
	@touch $(STAMP)

render: setup
	$(BIN)/reel render -q $(Q) --jobs $(JOBS)

test: setup
	$(BIN)/python -m pytest -q -n $(JOBS) --dist loadgroup

# The edit loop: everything but real renders and long training runs, in under a minute.
test-fast: setup
	$(BIN)/python -m pytest -q -n $(JOBS) --dist loadgroup -m "not render and not slow"

clean:
	$(BIN)/reel clean --all

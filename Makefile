# Two entry points: `make run` (demo dataset) and `make test`. Both create .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# Re-running is safe: extract replaces only its own output file (--overwrite), generate resumes the
# same run (completed shards are skipped), validate checks shards, card and run markers.
run: $(STAMP)
	$(BIN)/warpsynth extract "$$($(BIN)/python -c 'import os, warp; print(os.path.dirname(warp.__file__))')/examples/core" -o demo/examples-core.parquet --overwrite
	$(BIN)/warpsynth generate -n 2000 -o demo/dataset
	$(BIN)/warpsynth validate demo/dataset --no-progress

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) demo .pytest_cache

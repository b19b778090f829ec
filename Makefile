# patrimoine — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
SCHEDULE_PATHS ?= corpus/documents
CRON   ?= 0 3 * * *

# Nothing downloads a model at run time; Prefect's temporary server needs time to start.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120

.PHONY: install system-deps run ingest serve schedule test train bench clean

install: system-deps $(STAMP) ## Create .venv and install everything pinned (fast when nothing changed)

# Tesseract with its French model reads scanned pages, chromium runs the browser tests; each installed
# with apt-get when missing and root.
system-deps:
	@if command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx fra; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing tesseract-ocr and tesseract-ocr-fra (OCR of scanned pages)"; \
	  apt-get update -qq && apt-get install -y -qq tesseract-ocr tesseract-ocr-fra >/dev/null; \
	else echo "warning: tesseract-ocr-fra is missing: scanned pages will be reported, not read." \
	  "Install it with: sudo apt-get install tesseract-ocr tesseract-ocr-fra" >&2; fi
	@# Debian's chromium runs the browser tests (Playwright never downloads a browser).
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium (browser tests of the web page)"; \
	  apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	else echo "warning: /usr/bin/chromium is missing: browser tests will be skipped." \
	  "Install it with: sudo apt-get install chromium" >&2; fi

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, pinned: the CPU wheel; a plain `torch` would pull several GB of CUDA.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

ingest: install ## Ingest the sample corpus in corpus/documents/
	$(BIN)/patrimoine ingest corpus/documents

serve: install ## Serve the API and the web page on http://$(HOST):$(PORT)
	$(BIN)/patrimoine serve --host $(HOST) --port $(PORT)

run: ingest serve ## Install, ingest the sample corpus, then serve (Ctrl-C stops)

schedule: install ## Ingest $(SCHEDULE_PATHS) on the cron schedule "$(CRON)" (Paris time) until stopped; reports in `patrimoine runs`
	$(BIN)/patrimoine schedule $(SCHEDULE_PATHS) --cron "$(CRON)"

test: install ## Run the test suite
	$(BIN)/python -m pytest

train: install ## Retrain the NER (gold actors), the tagger (corpus/gold/tagging.jsonl + staff corrections) and the role classifier; writes models/ner/, models/tagger/, models/roles/
	$(BIN)/patrimoine train ner
	$(BIN)/patrimoine train tagger
	$(BIN)/patrimoine train roles

bench: install ## Print speed figures (ingestion and search)
	$(BIN)/python -m pipelines.bench

clean:
	rm -rf var .pytest_cache

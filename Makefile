# The two commands of the README: `make run` and `make test`. Everything else is a step of theirs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DSFR_SRC := node_modules/@gouvfr/dsfr/dist
DSFR := portal/static/vendor/dsfr
PYBABEL_KEYWORDS := -k _l -k lazy_gettext

export HOST PORT

.PHONY: run test install test-suite lint catalogs messages browser mutation clean

## make run: install everything, create the demo database and serve the portal.
INSTANCE := $(or $(PORTAL_INSTANCE_PATH),$(CURDIR)/instance)
DEMO_KIT := $(INSTANCE)/demo-recovery-kit.txt
DEMO_ACCOUNTS := $(INSTANCE)/demo-accounts.json

# The local demo: plain HTTP on the loopback address, at this address.
DEMO_ENV := PORTAL_HTTPS=false PORTAL_BASE_URL=http://$(HOST):$(PORT)

run: install
	$(DEMO_ENV) $(BIN)/portal init
	@$(DEMO_ENV) $(BIN)/portal keys status 2>/dev/null || \
		$(DEMO_ENV) $(BIN)/portal keys init --kit-file $(DEMO_KIT)
	@$(DEMO_ENV) $(BIN)/portal demo seed --kit-file $(DEMO_KIT) --accounts-file $(DEMO_ACCOUNTS)
	@echo
	@echo "  Miviludes portal (DEMO): open http://$(HOST):$(PORT)/"
	@echo "  Instance folder (database, secrets): $(INSTANCE)"
	@echo "  Demo recovery kit (never keep a real one on the server): $(DEMO_KIT)"
	@echo
	@# Rate-limit counters must be shared by the workers: Redis when it answers, else one worker.
	@if $(BIN)/python -c "import redis; redis.Redis(socket_connect_timeout=1).ping()" 2>/dev/null; \
	then echo "  Rate limits: Redis at 127.0.0.1:6379, $${PORTAL_WORKERS:-several} workers"; \
		export PORTAL_RATELIMIT_STORAGE_URI=$${PORTAL_RATELIMIT_STORAGE_URI:-redis://127.0.0.1:6379/0}; \
	else echo "  Rate limits: in memory (Redis does not answer), one worker"; \
		export PORTAL_WORKERS=1; fi; \
	$(DEMO_ENV) exec $(BIN)/gunicorn -c python:portal.gunicorn_conf 'portal:create_app()'

## make test: install what the tests need, lint, and run the whole suite.
test: install browser lint test-suite

test-suite: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

## make mutation (optional, not part of make test): small deliberate defects in access,
## workflow, security and the queue, one at a time; lists the ones the tests let through.
mutation: install
	$(BIN)/python -m tests.mutation

install: $(VENV)/.installed $(DSFR)/.copied catalogs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json .npmrc
	npm ci
	touch $@

# Only the built files the pages use are served (no CDN): CSS, JS, fonts, icons, favicon.
$(DSFR)/.copied: node_modules/.installed
	rm -rf $(DSFR)
	mkdir -p $(DSFR)/utility/icons
	cp $(DSFR_SRC)/dsfr.min.css $(DSFR_SRC)/dsfr.module.min.js $(DSFR_SRC)/dsfr.nomodule.min.js $(DSFR)/
	cp -r $(DSFR_SRC)/fonts $(DSFR_SRC)/icons $(DSFR_SRC)/favicon $(DSFR)/
	cp $(DSFR_SRC)/utility/icons/icons.min.css $(DSFR)/utility/icons/
	touch $@

catalogs: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations --statistics

## make messages: after changing user-facing text, refresh the catalogues, then translate
## the new French entries in translations/fr/LC_MESSAGES/messages.po.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg $(PYBABEL_KEYWORDS) --no-location --sort-output \
		--omit-header -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations \
		--no-fuzzy-matching --ignore-obsolete
	$(BIN)/python -m portal.catalogs fill-source-language translations/en/LC_MESSAGES/messages.po

## Browser tests drive Debian's Chromium (never a downloaded browser); the Nu HTML
## Checker (npm vnu-jar) runs on Debian's Java.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@command -v java >/dev/null 2>&1 || { \
		echo "Installing Debian's Java runtime for the HTML checker"; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless; }
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
		echo "Installing Debian's nginx for the reverse-proxy tests"; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx; }

clean:
	rm -rf $(VENV) node_modules $(DSFR) .pytest_cache .ruff_cache artifacts

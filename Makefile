# Set-up is part of `make run` and `make test`: both create .venv and
# install the package on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench i18n clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/smsconfirm demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench

# Refresh the gettext catalogs after changing UI strings.
i18n: $(STAMP)
	$(BIN)/pybabel extract --no-location --sort-output -k _ -k N_ -k ngettext:1,2 -o src/smsconfirm_tui/locale/smsconfirm.pot src/smsconfirm_tui
	$(BIN)/pybabel update --no-fuzzy-matching -D smsconfirm -d src/smsconfirm_tui/locale -i src/smsconfirm_tui/locale/smsconfirm.pot
	$(BIN)/pybabel compile -D smsconfirm -d src/smsconfirm_tui/locale

clean:
	rm -rf $(VENV) .pytest_cache

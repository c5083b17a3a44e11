# Everything a user runs goes through this file; README's two commands are
# `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PIP     = $(VENV)/bin/pip

.PHONY: install demo test test-fast figures benchmarks clean browser notebooks

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch first and pinned: the local CPU wheel, never a multi-GB CUDA build
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e ".[notebooks,dev]"
	# the kit's own kernel, inside the venv: never replaces the user's kernels
	$(PY) -m ipykernel install --sys-prefix --name affinekit --display-name "Python (affinekit)" >/dev/null
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/affinekit generate --demo --expression all --out demo.mp4

browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) || echo "chromium not installed: the browser test will be skipped"

# one pytest run: unit and CLI tests, and each committed notebook executed once (papermill, tiny parameters)
test: install browser
	$(PY) -m pytest -q

# notebooks/NAME.py (jupytext percent format) and NAME.ipynb are a pair: edit either, then sync
notebooks: install
	$(VENV)/bin/jupytext --sync notebooks/*.ipynb

figures: install
	$(VENV)/bin/affinekit figures

benchmarks: install
	for f in benchmarks/*.py; do $(PY) $$f; done

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache

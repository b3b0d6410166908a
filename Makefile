# The two commands of the quickstart are `make demo` and `make test`; both set up .venv/ first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 6006
# pytest workers of `make test` (pytest-xdist); each file's tests share a worker, and so their
# module-scoped servers and logdirs.
TEST_WORKERS ?= 2
DEMO_LOGDIR ?= demo_logdir
FRONTEND_SOURCES := $(shell find frontend/src -type f 2>/dev/null) frontend/package.json frontend/vite.config.ts frontend/tsconfig.json
BUNDLE := tb_media_panel/static/index.js
# The scanner's native core: `pip install -e` compiles it in place (setup.py ext_modules).
NATIVE_SOURCES := tb_media_panel/store/_scan.c

.PHONY: install install-demo frontend demo test test-python test-frontend lint proto bench bench-quick fuzz stress screenshots compat clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# torch is installed first on its own: the pinned CPU build comes from local disk, and
# asking for it by exact version keeps any later resolver from pulling a CUDA build.
$(VENV)/.installed-all: $(PY) setup.py pyproject.toml $(NATIVE_SOURCES)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[all,dev]'
	touch $@

$(VENV)/.installed-demo: $(PY) setup.py pyproject.toml $(NATIVE_SOURCES)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[torch,rdkit,open3d,demo]'
	touch $@

frontend/node_modules/.package-lock.json: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

$(BUNDLE): frontend/node_modules/.package-lock.json $(FRONTEND_SOURCES)
	cd frontend && npm run build

frontend: $(BUNDLE)

install: $(VENV)/.installed-all frontend

install-demo: $(VENV)/.installed-demo frontend

demo: install-demo
	$(VENV)/bin/tb-media-panel demo --logdir $(DEMO_LOGDIR) --port $(PORT)

test-python: install
	$(PY) -m pytest -q -p no:cacheprovider

test-frontend: install
	cd frontend && npx vitest run

lint: install
	$(VENV)/bin/ruff check tb_media_panel tests benchmarks scripts
	cd frontend && npx tsc --noEmit

test: install
	$(MAKE) lint
	cd frontend && npx vitest run
	$(PY) -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile

# The docs' pictures come from the browser tests that take them; `make test` writes them to the
# temp dir only, so it never changes tracked files.
screenshots: install
	TB_MEDIA_SCREENSHOTS=1 $(PY) -m pytest -q -p no:cacheprovider tests/browser/test_demo_screenshots.py tests/browser/test_panel.py tests/browser/test_viewers.py tests/browser/test_heatmap_panel.py tests/browser/test_export_panel.py tests/browser/test_compare_view.py tests/browser/test_3d_compare.py tests/browser/test_review_keys.py tests/browser/test_zoom_probe.py

proto: install
	$(PY) scripts/gen_proto.py

bench: install
	$(PY) -m benchmarks.run

bench-quick: install
	$(PY) -m benchmarks.run --quick

fuzz: install
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -q -p no:cacheprovider tests/test_fuzz.py \
		tests/test_scanner_native.py::test_native_and_python_scanners_agree_on_mutated_files \
		tests/test_scanner_native.py::test_native_walk_never_reads_past_its_buffer

stress: install
	$(PY) -m pytest -q -p no:cacheprovider -m stress tests/stress

# The oldest and newest supported installs (Python, TensorBoard, protobuf), each in a fresh venv
# from the sdist, run the tests that touch TensorBoard and one browser test (scripts/compat.py).
compat: install
	$(PY) -m scripts.compat

clean:
	rm -rf $(VENV) frontend/node_modules tb_media_panel/static build dist *.egg-info tb_media_panel/store/_scan.*.so

# Two commands on a fresh machine: `make reproduce` and `make test`. Both create .venv/ if it is missing.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH ?= 2.13.0
PROFILE ?= smoke
CHAPTERS ?= all
OUT ?= reports/$(PROFILE)

# never contact a model hub; fast CPU training (see DEVELOPERS.md)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export OMP_NUM_THREADS ?= 1
export MPLBACKEND := Agg

.PHONY: venv reproduce test nbtest pytest export clean-nbs bench lab

venv: $(VENV)/.installed

# torch first, pinned, so nothing later pulls a CUDA build on a CPU machine
$(VENV)/.installed: setup.py settings.ini constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip wheel setuptools
	# a local CPU wheel (pip's find-links) or a CUDA machine: PyPI's torch; otherwise the CPU index of pytorch.org
	if $(PY) -m pip download -q --no-deps --no-index -d $(VENV)/wheels torch==$(TORCH) 2>/dev/null \
	   || (command -v nvidia-smi >/dev/null && nvidia-smi >/dev/null 2>&1); then $(PY) -m pip install -q torch==$(TORCH); \
	else $(PY) -m pip install -q torch==$(TORCH) --index-url https://download.pytorch.org/whl/cpu; fi
	$(PY) -c "import torch; print('torch==' + torch.__version__)" > $(VENV)/constraints.txt
	cat constraints.txt >> $(VENV)/constraints.txt
	printf '[install]\nconstraint = %s\n' "$(CURDIR)/$(VENV)/constraints.txt" > $(VENV)/pip.conf
	$(PY) -m pip install -q -e ".[dev,envs]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

reproduce: venv
	$(VENV)/bin/hindsight-nb reproduce --profile $(PROFILE) --chapters $(CHAPTERS) --out $(OUT)

test: venv nbtest pytest

nbtest: venv
	$(VENV)/bin/nbdev_test --n_workers 2 --timing

pytest: venv
	$(PY) -m pytest -q -m "not full" tests

export: venv
	$(VENV)/bin/nbdev_export && $(VENV)/bin/nbdev_clean

bench: venv
	$(PY) benchmarks/scoring.py && $(PY) benchmarks/rollouts.py

# JupyterLab on nbs/: prints a URL with a token to open in a browser. As root (the usual case in a container) Jupyter
# refuses to start without --allow-root. LAB_IP=0.0.0.0 listens beyond localhost (a container's published port).
LAB_IP ?= 127.0.0.1
LAB_PORT ?= 8888
lab: venv
	$(VENV)/bin/jupyter lab nbs --no-browser --ip=$(LAB_IP) --port=$(LAB_PORT) $(if $(filter 0,$(shell id -u)),--allow-root)

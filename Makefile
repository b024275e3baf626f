.PHONY: run test lint format sqlfluff
run:
	python3 manage.py run
test:
	python3 manage.py test
lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
format:
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

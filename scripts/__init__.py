"""The project's scripts: the model card's generator (make_model_card) and the hostile-file report, run
as ``python scripts/NAME.py``; a package so that tests import them."""

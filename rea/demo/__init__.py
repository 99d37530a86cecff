"""The bundled demo sample: bibliographic items from the reference report's reference list,
written in each source's native format under ``sample/`` (built by rea/demo/build_sample.py)."""

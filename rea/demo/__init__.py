"""The bundled demo sample: bibliographic items from the reference report's reference list,
written in each source's native format under ``sample/`` (built by tools/build_demo_sample.py)."""

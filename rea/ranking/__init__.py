"""Prioritised screening: a ranker trained on the decisions so far, queue orders, stopping rules,
and the simulation that measures it all on labelled sets.

Pure: texts and labels in, scores, orders and verdicts out; no storage, no printing. Import the
submodules (``rea.ranking.model``, ``order``, ``stopping``, ``metrics``, ``simulation``,
``plot``) directly: this package does not import them, so that commands which never rank do not
pay for loading scikit-learn.
"""
